/**
 * e2e: the fly flavor inside a test systemd — host namespaces, the app's user, cwd, env and
 * volumes, exit codes and signals, and no mount left behind.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AbsolutePath, VolumeName } from '../../../src/podfile/index.js';
import type { PreparedApp } from '../../../src/pod/index.js';
import { FlyExecutor, flyArgv, prepareVolume } from '../../../src/pod/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { Stage1Fixture } from './fixture.js';

describe('fly stage1 inside a test systemd', () => {
  let fx: Stage1Fixture;
  let fly: FlyExecutor;
  before(async () => {
    fx = await Stage1Fixture.create('stage1-fly');
    fly = new FlyExecutor(fx.ns);
  });
  after(() => fx?.dispose());

  const runFly = (prepared: PreparedApp): ReturnType<FlyExecutor['run']> =>
    fly.run({ id: 'fly', bundle: prepared.dirs.dir, config: prepared.config }, { stdio: 'pipe' });

  it('runs the app chrooted in its rootfs, as its user, in the host\'s namespaces, with its volumes', async () => {
    const pod = await fx.podDir();
    const hostFile = path.join(fx.tmp.path, 'fly-config');
    await writeFile(hostFile, 'host data\n');
    const volume = await prepareVolume(fx.ns, pod, { name: 'conf' as VolumeName, source: { kind: 'hostPath', path: hostFile as AbsolutePath, type: 'File', recursive: false } });
    const prepared = await fx.prepare(pod, {
      args: ['sh', '-c', 'id -u; id -g; pwd; echo $GREETING; readlink /proc/self/ns/net; cat /etc/conf; cat /etc/os-release | head -1; echo x > /etc/conf || echo ro'],
      env: [{ name: 'GREETING', value: 'hi' }],
      cwd: '/srv',
      user: { kind: 'id', id: 2000 },
      group: { kind: 'id', id: 2001 },
      volumes: [{ volume, mountPath: '/etc/conf', readOnly: true }],
    });
    const exit = await runFly(prepared);
    assert.equal(exit.exitCode, 0, exit.stderr);
    const hostNet = (await fx.sd.exec(['readlink', '/proc/1/ns/net'])).stdout.trim();
    assert.deepEqual(exit.stdout.trim().split('\n'), ['2000', '2001', '/srv', 'hi', hostNet, 'host data', 'NAME="rocklet test busybox"', 'ro']);
  });

  it('passes exit codes through and reports a signal as 128+N', async () => {
    const pod = await fx.podDir();
    assert.equal((await runFly(await fx.prepare(pod, { args: ['sh', '-c', 'exit 9'] }))).exitCode, 9);
    assert.equal((await runFly(await fx.prepare(pod, { args: ['sh', '-c', 'kill -KILL $$'] }))).exitCode, 137);
  });

  it('makes the rootfs read-only when asked and leaves no mount behind', async () => {
    const pod = await fx.podDir();
    const exit = await runFly(await fx.prepare(pod, { args: ['sh', '-c', 'touch /x || echo refused'], readOnlyRootfs: true }));
    assert.equal(exit.stdout.trim(), 'refused');
    const left = (await fx.mountsLeft()).filter((p) => !p.endsWith('/rootfs'));
    assert.deepEqual(left, [], 'the binds of /dev, /proc, /sys and volumes lived only in fly\'s own mount namespace');
  });

  it('refuses supplementary groups it cannot set', async () => {
    const pod = await fx.podDir();
    const prepared = await fx.prepare(pod, { args: ['/bin/true'], user: { kind: 'name', name: 'web' } });
    assert.throws(() => flyArgv(prepared.config, { unshare: '/usr/bin/unshare', env: '/usr/bin/env', sh: '/bin/sh' }), (error: unknown) => hasErrorCode(error, 'ERR_FLY_UNSUPPORTED'));
  });
});
