import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ACName } from '../../../src/image/index.js';
import type { PodUuid } from '../../../src/pod/index.js';
import {
  POD_FILES, POD_LOCK_FD, createPod, inspectPod, lockPreparedPod, markExited, markPrepared, markRunning, podPath,
  podStateAt, readPodManifest, readPodMeta, spawnLockHolder, writePodManifest,
} from '../../../src/pod/index.js';
import { entriesOf, startWorker, tempStore } from './helpers.js';

describe('pod lifecycle', async () => {
  const { store, dataDir } = await tempStore('lifecycle');

  it('creates a pod in prepare/ as preparing, with its creation time', async () => {
    const before = Date.now();
    const pod = await createPod(store);
    try {
      assert.equal(pod.dir, 'prepare');
      assert.deepEqual(await entriesOf(store, 'embryo'), []);
      assert.ok((await entriesOf(store, 'prepare')).includes(pod.uuid));
      assert.equal(await podStateAt(store, pod.uuid), 'preparing');
      const info = await inspectPod(store, pod.uuid);
      assert.ok(info?.created);
      assert.ok(info.created.getTime() >= before - 1000 && info.created.getTime() <= Date.now() + 1000);
      assert.equal(info.meta, undefined);
      assert.equal((await stat(pod.path)).mode & 0o777, 0o750);
    } finally {
      await pod.release();
    }
    assert.equal(await podStateAt(store, pod.uuid), 'aborted prepare');
  });

  it('goes prepare → prepared → run-prepared → running → exited', async () => {
    const pod = await createPod(store);
    const manifest = { acKind: 'PodManifest', acVersion: '0.8.11', apps: [{ name: 'web' }] };
    await writePodManifest(pod.path, manifest, { apps: [{ name: 'web' as ACName, imageName: 'example.com/web', imageVersion: '1.0' }] });
    await markPrepared(pod);
    assert.equal(await podStateAt(store, pod.uuid), 'prepared');
    assert.deepEqual(await readPodManifest(podPath(store, 'prepared', pod.uuid)), manifest);
    assert.equal((await readPodMeta(podPath(store, 'prepared', pod.uuid)))?.apps[0]?.imageVersion, '1.0');

    const running = await lockPreparedPod(store, pod.uuid);
    assert.equal(running.dir, 'run');
    assert.equal(await podStateAt(store, pod.uuid), 'running');
    await assert.rejects(lockPreparedPod(store, pod.uuid), {
      code: 'ERR_POD_NOT_PREPARED',
      message: `pod "${pod.uuid}" is not prepared: its state is "running"`,
    });
    await assert.rejects(markExited(store, pod.uuid), {
      code: 'ERR_POD_RUNNING',
      message: `pod "${pod.uuid}" is currently running`,
    });
    await running.release();
    assert.equal(await podStateAt(store, pod.uuid), 'exited');
    await assert.rejects(lockPreparedPod(store, pod.uuid), { code: 'ERR_POD_NOT_PREPARED', message: /its state is "exited"/ });

    await markExited(store, pod.uuid);
    assert.equal(await podStateAt(store, pod.uuid), 'exited garbage');
    await markExited(store, pod.uuid); // idempotent
    assert.equal(await podStateAt(store, pod.uuid), 'exited garbage');
  });

  it('a process killed while preparing leaves an aborted prepare', async () => {
    const worker = startWorker('prepare-and-hang', dataDir);
    const { uuid } = (await worker.next()) as { uuid: PodUuid };
    assert.equal(await podStateAt(store, uuid), 'preparing');
    await worker.kill();
    assert.equal(await podStateAt(store, uuid), 'aborted prepare');
  });

  it('a process killed while running leaves an exited pod', async () => {
    const worker = startWorker('run-and-hang', dataDir);
    const { uuid, dir } = (await worker.next()) as { uuid: PodUuid; dir: string };
    assert.equal(dir, 'run');
    assert.equal(await podStateAt(store, uuid), 'running');
    await worker.kill();
    assert.equal(await podStateAt(store, uuid), 'exited');
  });

  it('hands the lock to a non-rocklet child: running while it lives, exited after SIGKILL', async () => {
    const pod = await createPod(store);
    await markRunning(pod);
    const holder = await spawnLockHolder(pod, '/bin/sleep', ['1000']);
    const exit = once(holder, 'exit');
    try {
      // Our descriptor is closed: the sleep process alone holds the lock, as its fd 3.
      const lockFile = path.join(pod.path, POD_FILES.lock);
      assert.deepEqual(await descriptorsOf('self', lockFile), []);
      assert.deepEqual(await descriptorsOf(holder.pid ?? 0, lockFile), [String(POD_LOCK_FD)]);
      assert.equal(await podStateAt(store, pod.uuid), 'running');
    } finally {
      holder.kill('SIGKILL');
      await exit;
    }
    assert.equal(await podStateAt(store, pod.uuid), 'exited');
  });

  it('with keepOwn the pod runs until both holders are gone', async () => {
    const pod = await createPod(store);
    await markRunning(pod);
    const holder = await spawnLockHolder(pod, '/bin/sleep', ['1000'], { keepOwn: true });
    const exit = once(holder, 'exit');
    holder.kill('SIGKILL');
    await exit;
    assert.equal(await podStateAt(store, pod.uuid), 'running');
    await pod.lock.detach();
    assert.equal(await podStateAt(store, pod.uuid), 'exited');
  });

  it('keeps the lock when the holder cannot be started', async () => {
    const pod = await createPod(store);
    await markRunning(pod);
    try {
      await assert.rejects(spawnLockHolder(pod, path.join(dataDir, 'no-such-program'), []), { code: 'ENOENT' });
      assert.equal(await podStateAt(store, pod.uuid), 'running');
    } finally {
      await pod.release();
    }
    assert.equal(await podStateAt(store, pod.uuid), 'exited');
  });

  it('refuses run-prepared of a pod that is not prepared', async () => {
    const pod = await createPod(store);
    try {
      await assert.rejects(lockPreparedPod(store, pod.uuid), {
        code: 'ERR_POD_NOT_PREPARED',
        message: `pod "${pod.uuid}" is not prepared: its state is "preparing"`,
      });
    } finally {
      await pod.release();
    }
    const gone = '00000000-0000-4000-8000-000000000000' as PodUuid;
    await assert.rejects(lockPreparedPod(store, gone), { message: `pod "${gone}" is not prepared: it no longer exists` });
  });

  it('the lock file moves with the pod directory', async () => {
    const pod = await createPod(store);
    const lockStat = await stat(path.join(pod.path, POD_FILES.lock));
    await markRunning(pod);
    assert.equal((await stat(path.join(pod.path, POD_FILES.lock))).ino, lockStat.ino);
    await pod.release();
  });
});

/** The descriptors of process `pid` that refer to `file`. */
async function descriptorsOf(pid: number | 'self', file: string): Promise<string[]> {
  const dir = `/proc/${pid}/fd`;
  const found: string[] = [];
  for (const fd of await readdir(dir)) {
    try {
      if ((await readlink(path.join(dir, fd))) === file) found.push(fd);
    } catch (error) {
      // The descriptor used by readdir itself is gone by the time it is read.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return found;
}
