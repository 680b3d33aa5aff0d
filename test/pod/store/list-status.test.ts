import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ACName } from '../../../src/image/index.js';
import type { PodMeta, PodUuid } from '../../../src/pod/index.js';
import {
  POD_FILES, RESOLVABLE_DIRS, appImageLabel, createPod, formatNetworks, listPods, markPrepared, markRunning, podStatus,
  recordAppExit, readNetnsPath, statusEntries, waitForPodExit, writeNetInfo, writeNetnsPath, writePodManifest, writePodPid,
} from '../../../src/pod/index.js';
import { fakePod, startWorker, tempStore } from './helpers.js';

const name = (text: string): ACName => text as ACName;
const META: PodMeta = {
  apps: [
    { name: name('web'), imageName: 'example.com/web', imageVersion: '1.2' },
    { name: name('cache'), imageName: 'example.com/cache' },
  ],
};
const iso = (time: Date): string => time.toISOString();

describe('list and status', async () => {
  const { store, dataDir } = await tempStore('list');

  it('lists every state with its apps, times and networks', async () => {
    const preparing = await createPod(store);
    const prepared = await createPod(store);
    await writePodManifest(prepared.path, { apps: [] }, META);
    await markPrepared(prepared);
    const running = await createPod(store);
    await writePodManifest(running.path, { apps: [] }, META);
    await markRunning(running);
    await writePodPid(running.path, process.pid);
    await writeNetInfo(running.path, [{ netName: 'default', ifName: 'eth0', ip: '172.16.28.5', prefixLength: 24 }]);
    const embryo = await fakePod(store, 'embryo', { lockFile: false });
    try {
      const { pods, errors } = await listPods(store);
      assert.deepEqual(errors, []);
      const byUuid = new Map(pods.map((pod) => [pod.uuid, pod]));
      assert.equal(byUuid.get(preparing.uuid)?.state, 'preparing');
      assert.equal(byUuid.get(preparing.uuid)?.meta, undefined);
      assert.equal(byUuid.get(prepared.uuid)?.state, 'prepared');
      assert.equal(byUuid.get(embryo)?.state, 'embryo');
      const run = byUuid.get(running.uuid);
      assert.equal(run?.state, 'running');
      assert.deepEqual(run.meta?.apps.map(appImageLabel), ['example.com/web:1.2', 'example.com/cache']);
      assert.equal(formatNetworks(run.networks), 'default:ip4=172.16.28.5');
      assert.ok(run.created && run.started && run.started >= run.created);
      assert.equal(run.pid, process.pid);

      const rktView = await listPods(store, { dirs: RESOLVABLE_DIRS });
      assert.equal(rktView.pods.some((pod) => pod.uuid === embryo), false);
    } finally {
      await preparing.release();
      await running.release();
    }
  });

  it('reports a corrupt pod beside the others instead of failing the listing', async () => {
    const bad = await fakePod(store, 'run', { files: { [POD_FILES.meta]: '{"apps": [{"name": "Not An AC Name"}]}' } });
    const { pods, errors } = await listPods(store);
    assert.ok(pods.length > 0);
    const error = errors.find((entry) => entry.uuid === bad)?.error;
    assert.ok(error instanceof Error);
    assert.equal((error as { code?: string }).code, 'ERR_POD_FILE_CORRUPT');
    assert.match(error.message, /pod-meta\.json" is corrupt: apps\[0\]\.name must be an AC name/);
  });

  it('status: key=value entries of a running and then an exited pod', async () => {
    const pod = await createPod(store);
    await writePodManifest(pod.path, { apps: [] }, META);
    await markRunning(pod);
    await writePodPid(pod.path, 4242);
    await writeNetInfo(pod.path, [{ netName: 'default', ip: '172.16.28.4' }]);
    await recordAppExit(pod.path, name('cache'), 137);
    const running = await podStatus(store, pod.uuid);
    const keys = statusEntries(running, iso).map(([key]) => key);
    assert.deepEqual(keys, ['state', 'created', 'started', 'networks', 'pid', 'exited']);
    assert.deepEqual(Object.fromEntries(statusEntries(running, iso)).networks, 'default:ip4=172.16.28.4');

    await recordAppExit(pod.path, name('web'), 0);
    await pod.release();
    const exited = Object.fromEntries(statusEntries(await podStatus(store, pod.uuid), iso));
    assert.equal(exited.state, 'exited');
    assert.equal(exited.exited, 'true');
    assert.equal(exited.pid, '4242');
    const lines = statusEntries(await podStatus(store, pod.uuid), iso).map(([k, v]) => `${k}=${v}`);
    // App lines follow the manifest's app order.
    assert.deepEqual(lines.slice(-2), ['app-web=0', 'app-cache=137']);
  });

  it('status of a prepared pod has no start, no networks and no app lines', async () => {
    const pod = await createPod(store);
    await writePodManifest(pod.path, { apps: [] }, META);
    await markPrepared(pod);
    const entries = statusEntries(await podStatus(store, pod.uuid), iso).map(([key]) => key);
    assert.deepEqual(entries, ['state', 'created', 'exited']);
    await assert.rejects(podStatus(store, '00000000-0000-4000-8000-000000000000' as PodUuid), {
      code: 'ERR_POD_NOT_FOUND',
      message: 'pod "00000000-0000-4000-8000-000000000000" does not exist',
    });
  });

  it('records the netns path and reads it back', async () => {
    const pod = await createPod(store);
    await writeNetnsPath(pod.path, '/run/rocklet/netns/x');
    assert.equal(await readNetnsPath(pod.path), '/run/rocklet/netns/x');
    await writeFile(path.join(pod.path, POD_FILES.netns), 'relative\n');
    await assert.rejects(readNetnsPath(pod.path), { code: 'ERR_POD_FILE_CORRUPT' });
    await pod.release();
  });

  describe('status --wait', () => {
    it('returns once the holder dies', async () => {
      const worker = startWorker('run-and-hang', dataDir);
      const { uuid } = (await worker.next()) as { uuid: PodUuid };
      let settled = false;
      const waiting = waitForPodExit(store, uuid, { intervalMs: 10 }).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(settled, false);
      await worker.kill();
      assert.equal(await waiting, 'exited');
    });

    it('times out with rkt\'s message', async () => {
      const pod = await createPod(store);
      await markRunning(pod);
      try {
        await assert.rejects(waitForPodExit(store, pod.uuid, { timeoutMs: 30, intervalMs: 10 }), {
          code: 'ERR_POD_WAIT_TIMEOUT',
          message: 'error waiting for pod to finish: context deadline exceeded',
        });
      } finally {
        await pod.release();
      }
    });

    it('stops when aborted', async () => {
      const pod = await createPod(store);
      const controller = new AbortController();
      try {
        const waiting = waitForPodExit(store, pod.uuid, { signal: controller.signal, intervalMs: 10 });
        controller.abort(new Error('interrupted'));
        await assert.rejects(waiting, { message: 'interrupted' });
      } finally {
        await pod.release();
      }
      assert.equal(await waitForPodExit(store, pod.uuid), 'aborted prepare');
    });

    it('returns undefined for a pod that is gone', async () => {
      assert.equal(await waitForPodExit(store, '00000000-0000-4000-8000-00000000abcd' as PodUuid), undefined);
    });
  });
});
