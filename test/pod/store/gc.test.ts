import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { GcEvent, PodToDelete, PodUuid } from '../../../src/pod/index.js';
import {
  createPod, gcEventMessage, gcPods, markPrepared, markRunning, podPath, podStateAt, stateDirPath,
} from '../../../src/pod/index.js';
import { entriesOf, fakePod, startWorker, tempStore } from './helpers.js';

const MINUTE = 60_000;
const execFileAsync = promisify(execFile);
const kinds = (events: readonly GcEvent[], uuid: PodUuid): string[] =>
  events.filter((event) => event.uuid === uuid).map((event) => event.kind);

describe('gc', () => {
  it('two passes deleting the same pods at once: each pod is reported deleted exactly once', async () => {
    // A pod without a lock file is finished by whoever finds it, and one being deleted loses
    // its lock file just before its directory: only the pass whose rmdir removed it may say so.
    const { store } = await tempStore('gc-twice');
    const pods: PodUuid[] = [];
    for (let i = 0; i < 8; i++) pods.push(await fakePod(store, 'garbage', { lockFile: false, files: { [`rootfs/etc/f${i}`]: 'x' } }));
    const results = await Promise.all([gcPods(store, { gracePeriodMs: 0 }), gcPods(store, { gracePeriodMs: 0 })]);
    for (const uuid of pods) {
      const deleted = results.flatMap((result) => kinds(result.events, uuid)).filter((kind) => kind === 'deleted');
      assert.equal(deleted.length, 1, `${uuid}: ${JSON.stringify(results.map((result) => kinds(result.events, uuid)))}`);
      assert.equal(await podStateAt(store, uuid), undefined);
    }
    assert.deepEqual(await entriesOf(store, 'garbage'), []);
  });

  it('one pass with a 0s grace period cleans every kind of leftover and nothing live', async () => {
    const { store, dataDir } = await tempStore('gc-all');
    const exited = await createPod(store);
    await markRunning(exited);
    await exited.release();
    const worker = startWorker('run-and-hang', dataDir);
    const { uuid: running } = (await worker.next()) as { uuid: PodUuid };
    const preparing = await createPod(store);
    const aborted = await fakePod(store, 'prepare');
    const prepared = await createPod(store);
    await markPrepared(prepared);
    const freshEmbryo = await fakePod(store, 'embryo', { lockFile: false });
    // Half-deleted: the lock file and part of the tree are already gone.
    const halfDeleted = await fakePod(store, 'garbage', { lockFile: false, files: { 'stage1/rootfs/etc/hosts': 'x' } });
    await mkdir(path.join(stateDirPath(store, 'run'), 'not-a-pod'), { recursive: true });

    const seen: GcEvent[] = [];
    const result = await gcPods(store, { gracePeriodMs: 0, onEvent: (event) => seen.push(event) });
    try {
      assert.deepEqual(seen, result.events);
      assert.equal(result.failed, 0);
      assert.deepEqual(kinds(result.events, exited.uuid), ['marked-exited', 'deleted']);
      assert.deepEqual(kinds(result.events, aborted), ['marked-aborted', 'deleted']);
      assert.deepEqual(kinds(result.events, halfDeleted), ['deleted']);
      for (const uuid of [exited.uuid, aborted, halfDeleted]) assert.equal(await podStateAt(store, uuid), undefined);
      // Live or young: untouched.
      assert.deepEqual(kinds(result.events, running), []);
      assert.equal(await podStateAt(store, running), 'running');
      assert.equal(await podStateAt(store, preparing.uuid), 'preparing');
      assert.equal(await podStateAt(store, prepared.uuid), 'prepared');
      assert.equal(await podStateAt(store, freshEmbryo), 'embryo');
      assert.deepEqual(await entriesOf(store, 'run'), [running, 'not-a-pod'].sort());
      assert.deepEqual(await entriesOf(store, 'garbage'), []);
    } finally {
      await preparing.release();
    }
    await worker.kill();
    const second = await gcPods(store, { gracePeriodMs: 0 });
    assert.deepEqual(kinds(second.events, running), ['marked-exited', 'deleted']);
    assert.deepEqual(kinds(second.events, preparing.uuid), ['marked-aborted', 'deleted']);
  });

  it('--mark-only marks exited pods and aborted prepares and deletes nothing', async () => {
    const { store } = await tempStore('gc-mark');
    const exited = await fakePod(store, 'run');
    const aborted = await fakePod(store, 'prepare');
    const old = await fakePod(store, 'exited-garbage');
    const result = await gcPods(store, { markOnly: true, gracePeriodMs: 0, expirePreparedMs: 0 });
    assert.deepEqual(result.events.map((event) => event.kind), ['marked-exited', 'marked-aborted']);
    assert.equal(await podStateAt(store, exited), 'exited garbage');
    assert.equal(await podStateAt(store, aborted), 'garbage');
    assert.equal(await podStateAt(store, old), 'exited garbage');
  });

  it('keeps marked pods for the grace period, counted from marking', async () => {
    const { store } = await tempStore('gc-grace');
    const pod = await fakePod(store, 'run');
    const first = await gcPods(store);
    assert.deepEqual(kinds(first.events, pod), ['marked-exited', 'within-grace']);
    const message = gcEventMessage(first.events[1] as GcEvent);
    assert.deepEqual(message, { stream: 'stderr', text: `pod "${pod}" not removed: still within grace period (30m0s)` });
    const early = await gcPods(store, { now: Date.now() + 29 * MINUTE });
    assert.deepEqual(kinds(early.events, pod), ['within-grace']);
    const late = await gcPods(store, { now: Date.now() + 31 * MINUTE });
    assert.deepEqual(kinds(late.events, pod), ['deleted']);
    assert.deepEqual(gcEventMessage(late.events[0] as GcEvent), { stream: 'stdout', text: `Garbage collecting pod "${pod}"` });
  });

  it('expires prepared pods and abandoned embryos by age', async () => {
    const { store } = await tempStore('gc-expire');
    const pod = await createPod(store);
    await markPrepared(pod);
    const embryo = await fakePod(store, 'embryo', { lockFile: false });
    assert.deepEqual((await gcPods(store)).events, []);
    const result = await gcPods(store, { now: Date.now() + 25 * 60 * MINUTE });
    assert.deepEqual(kinds(result.events, pod.uuid), ['marked-expired', 'deleted']);
    assert.deepEqual(kinds(result.events, embryo), ['marked-embryo', 'deleted']);
    assert.equal(gcEventMessage({ kind: 'marked-expired', uuid: pod.uuid }).text, `moving expired prepared pod "${pod.uuid}" to garbage`);
    assert.equal(gcEventMessage({ kind: 'marked-aborted', uuid: pod.uuid }).text, `moving failed prepare "${pod.uuid}" to garbage`);
    assert.equal(gcEventMessage({ kind: 'marked-exited', uuid: pod.uuid }).text, `moving pod "${pod.uuid}" to garbage`);
  });

  it('calls beforeDelete with the lock held, and retries a pod whose hook failed', async () => {
    const { store } = await tempStore('gc-hook');
    const uuid = await fakePod(store, 'run', { files: { netns: '/run/rocklet/netns/x\n' } });
    const calls: PodToDelete[] = [];
    const failing = async (pod: PodToDelete): Promise<void> => {
      calls.push(pod);
      assert.equal(await podStateAt(store, pod.uuid), 'deleting');
      assert.equal(await readFile(path.join(pod.path, 'netns'), 'utf8'), '/run/rocklet/netns/x\n');
      throw new Error('netns busy');
    };
    const first = await gcPods(store, { gracePeriodMs: 0, beforeDelete: failing });
    assert.deepEqual(kinds(first.events, uuid), ['marked-exited', 'failed']);
    assert.equal(first.failed, 1);
    assert.deepEqual(calls, [{ uuid, path: podPath(store, 'garbage', uuid), previousState: 'exited garbage' }]);
    assert.equal(gcEventMessage(first.events[1] as GcEvent).text, `unable to collect pod "${uuid}": netns busy`);
    assert.equal(await podStateAt(store, uuid), 'garbage');

    const second = await gcPods(store, { gracePeriodMs: 0, beforeDelete: (pod) => Promise.resolve(void calls.push(pod)) });
    assert.deepEqual(kinds(second.events, uuid), ['deleted']);
    assert.equal(calls.length, 2);
    assert.equal(await podStateAt(store, uuid), undefined);
  });

  it('never deletes through a mount left inside a pod', { skip: process.getuid?.() !== 0 && 'needs root to mount' }, async () => {
    const { store } = await tempStore('gc-mount');
    const uuid = await fakePod(store, 'garbage');
    const target = path.join(podPath(store, 'garbage', uuid), 'rootfs', 'mnt');
    await mkdir(target, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'rocklet-test', target]);
    let mounted = true;
    after(() => {
      if (mounted) execFileSync('umount', [target]);
    });
    await writeFile(path.join(target, 'precious'), 'keep me');
    const refused = await gcPods(store);
    assert.deepEqual(kinds(refused.events, uuid), ['failed']);
    const error = (refused.events[0] as { error: Error & { code?: string } }).error;
    assert.equal(error.code, 'ERR_POD_MOUNTS_LEFT');
    assert.match(error.message, new RegExp(`still mounted: "${target.replaceAll('/', '\\/')}"`));
    assert.equal(await readFile(path.join(target, 'precious'), 'utf8'), 'keep me');

    const unmounting = async (): Promise<void> => {
      await execFileAsync('umount', [target]);
      mounted = false;
    };
    const done = await gcPods(store, { beforeDelete: unmounting });
    assert.deepEqual(kinds(done.events, uuid), ['deleted']);
    assert.equal(await podStateAt(store, uuid), undefined);
  });
});
