/** `rocklet rm`: removes pods that are not running, rkt's messages and exit code, mounts released. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { podPath } from '../../src/pod/index.js';
import { ONE_APP, TWO_APPS, exists, lines, mountsAt, podWorkspace } from './pod-setup.js';

describe('rocklet rm', async () => {
  const ws = await podWorkspace('cli-rm');

  it('removes exited, exited-garbage, prepared and aborted pods, printing each UUID', async () => {
    const pods = [
      await ws.pod('exited', { meta: TWO_APPS, exits: { web: 0 } }),
      await ws.pod('exited garbage', { meta: ONE_APP }),
      await ws.pod('prepared', { meta: ONE_APP }),
      await ws.pod('aborted prepare'),
    ];
    const r = await ws.rocklet(['rm', ...pods]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), pods.map((uuid) => `"${uuid}"`));
    assert.equal(r.stderr, '');
    for (const uuid of pods) assert.equal(await ws.dirOf(uuid), undefined, `${uuid} is gone`);
  });

  it('refuses a running pod and one being prepared; removes the others; exits 254', async () => {
    const running = await ws.pod('running', { meta: ONE_APP });
    const preparing = await ws.pod('preparing');
    const exited = await ws.pod('exited', { meta: ONE_APP });
    const r = await ws.rocklet(['rm', running.slice(0, 8), preparing, 'fedcba98', exited]);
    assert.equal(r.code, 254);
    assert.deepEqual(lines(r.stdout), [`"${exited}"`]);
    const stderr = lines(r.stderr);
    assert.ok(stderr.includes(`rm: pod "${running}" is currently running`), r.stderr);
    assert.ok(stderr.includes(`rm: pod "${preparing}" is currently being prepared`), r.stderr);
    assert.ok(stderr.includes('rm: no matches found for "fedcba98"'), r.stderr);
    assert.equal(stderr[stderr.length - 1], 'rm: failed to remove one or more pods');
    assert.equal(await ws.dirOf(exited), undefined);
    assert.equal(await ws.dirOf(running), 'run');
    const status = await ws.rocklet(['status', running]);
    assert.match(status.stdout, /^state=running\n/, 'the running pod is untouched');
    assert.equal(await ws.dirOf(preparing), 'prepare');
  });

  it('unmounts what is left mounted below the pod before deleting it', async () => {
    const uuid = await ws.pod('exited', { meta: ONE_APP });
    const podDir = podPath(ws.store, 'run', uuid);
    const rootfs = path.join(podDir, 'apps', 'job', 'rootfs');
    await ws.mountTmpfs(rootfs);
    await writeFile(path.join(rootfs, 'file'), 'data');
    const r = await ws.rocklet(['rm', uuid]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [`"${uuid}"`]);
    assert.deepEqual(await mountsAt(podDir), []);
    assert.deepEqual(await mountsAt(podPath(ws.store, 'garbage', uuid)), []);
    assert.equal(await exists(podDir), false);
    assert.equal(await ws.dirOf(uuid), undefined);
  });

  it('reads --uuid-file, and needs a UUID', async () => {
    const uuid = await ws.pod('exited', { meta: ONE_APP });
    const file = path.join(ws.dataDir, 'uuid-rm');
    await writeFile(file, `${uuid}\n`);
    const r = await ws.rocklet(['rm', `--uuid-file=${file}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [`"${uuid}"`]);
    const none = await ws.rocklet(['rm']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^rm: missing UUID argument$/m);
    const empty = await ws.rocklet(['rm', '']);
    assert.equal(empty.code, 254);
    assert.match(empty.stderr, /^rm: UUID cannot be empty$/m);
  });

  it('refuses to run unprivileged with rkt\'s message', async () => {
    const uuid = await ws.pod('exited', { meta: ONE_APP });
    const r = await ws.rockletAs(65534, ['rm', uuid]);
    assert.equal(r.code, 254, r.stderr);
    assert.match(r.stderr, /^rm: cannot run as unprivileged user$/m);
    assert.equal(await ws.dirOf(uuid), 'run');
  });
});
