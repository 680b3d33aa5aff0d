/**
 * Pure tests of crun command lines, container ids, signals and crun's JSON output.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrunRuntime, containerIdFor, parseContainerList, parseContainerState, signalNumber } from '../../../src/pod/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { crunCgroupPrefix } from '../../../src/pod/stage1/crun-cgroups.js';
import { CURRENT_MOUNT_NAMESPACE } from '../../../src/pod/stage1/mount-namespace.js';

describe('crun command lines', () => {
  it('builds the run command line a unit can use as ExecStart', async () => {
    // On a hybrid-cgroup host (these VMs) crun runs behind the unshare prefix of crun-cgroups.ts.
    const prefix = await crunCgroupPrefix(CURRENT_MOUNT_NAMESPACE);
    const crun = new CrunRuntime({ binary: '/usr/bin/crun' });
    assert.deepEqual(await crun.runArgv('pod-web', { bundle: '/p/apps/web', preserveFds: 1 }), [
      ...prefix, '/usr/bin/crun', '--root=/run/rocklet/crun', '--cgroup-manager=disabled', 'run', '--bundle=/p/apps/web', '--preserve-fds=1', 'pod-web',
    ]);
    const managed = new CrunRuntime({ binary: '/usr/bin/crun', root: '/tmp/state', cgroupManager: 'cgroupfs' });
    assert.deepEqual((await managed.runArgv('x', { bundle: '/b' })).slice(prefix.length + 1, prefix.length + 3), ['--root=/tmp/state', '--cgroup-manager=cgroupfs']);
  });

  it('names containers <uuid>-<app> and refuses ids crun could misread', async () => {
    assert.equal(containerIdFor('0f5ea3b6-2b43-4a5e-9d8e-1d2f3c4b5a69', 'web'), '0f5ea3b6-2b43-4a5e-9d8e-1d2f3c4b5a69-web');
    for (const bad of ['', '-x', '../x', 'a/b', 'x'.repeat(129)]) {
      await assert.rejects(new CrunRuntime().runArgv(bad, { bundle: '/b' }), (error: unknown) => hasErrorCode(error, 'ERR_CRUN_CONTAINER_ID'), bad);
    }
  });

  it('maps signal names to numbers', () => {
    assert.equal(signalNumber('SIGKILL'), 9);
    assert.equal(signalNumber('SIGTERM'), 15);
    assert.equal(signalNumber(10), 10);
    assert.throws(() => signalNumber('SIGNOPE' as NodeJS.Signals), (error: unknown) => hasErrorCode(error, 'ERR_CRUN_SIGNAL'));
  });

  it('says how to get crun when the binary does not exist', async () => {
    await assert.rejects(new CrunRuntime({ binary: '/nonexistent/crun' }).list(), (error: unknown) =>
      hasErrorCode(error, 'ERR_CRUN_MISSING') && error.hint === 'run install.sh or use --stage1=fly' && error.message.includes('/nonexistent/crun'));
  });
});

describe('crun JSON output', () => {
  const state = { ociVersion: '1.0.0', id: 'c1', pid: 54, status: 'running', bundle: '/b', rootfs: 'rootfs', created: '2026-11-22T07:35:59.978596Z', owner: 'root' };

  it('parses state and list', () => {
    assert.deepEqual(parseContainerState(JSON.stringify(state)), { id: 'c1', pid: 54, status: 'running', bundle: '/b', created: '2026-11-22T07:35:59.978596Z' });
    assert.equal(parseContainerList(JSON.stringify([state, { ...state, id: 'c2', status: 'stopped', pid: 0 }]))[1]?.status, 'stopped');
    assert.deepEqual(parseContainerList(''), []);
  });

  it('refuses output it does not understand', () => {
    assert.throws(() => parseContainerState('{"id":"c1"}'), (error: unknown) => hasErrorCode(error, 'ERR_CRUN_OUTPUT') && /pid/.test(error.message));
    assert.throws(() => parseContainerState(JSON.stringify({ ...state, status: 'zombie' })), (error: unknown) => hasErrorCode(error, 'ERR_CRUN_OUTPUT'));
    assert.throws(() => parseContainerList('not json'), (error: unknown) => hasErrorCode(error, 'ERR_CRUN_OUTPUT'));
  });
});
