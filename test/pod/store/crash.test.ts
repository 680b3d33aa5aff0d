import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodState, PodUuid, StateDir } from '../../../src/pod/index.js';
import { POD_FILES, gcPods, listPods, podStateAt } from '../../../src/pod/index.js';
import { acquirePodLock } from '../../../src/pod/store/acquire.js';
import { podPath } from '../../../src/pod/store/layout.js';
import { entriesOf, fakePod, tempStore } from './helpers.js';

/** What a crash at each step leaves behind, and the state `list` must show for it. */
const LEFTOVERS: ReadonlyArray<{ step: string; dir: StateDir; lockFile: boolean; files?: Record<string, string>; state: PodState }> = [
  { step: 'createPod: after mkdir, before the lock file', dir: 'embryo', lockFile: false, state: 'embryo' },
  { step: 'createPod: after the lock, before the rename', dir: 'embryo', lockFile: true, files: { [POD_FILES.created]: '' }, state: 'embryo' },
  {
    step: 'prepare: while writing the manifest',
    dir: 'prepare',
    lockFile: true,
    files: { [POD_FILES.created]: '', '.pod.tmp-0a1b2c3d4e5f': '{"acKind"' },
    state: 'aborted prepare',
  },
  { step: 'markPrepared: after the rename, before unlock', dir: 'prepared', lockFile: true, files: { [POD_FILES.meta]: '{"apps":[]}' }, state: 'prepared' },
  {
    step: 'run: the pod process died',
    dir: 'run',
    lockFile: true,
    files: { [POD_FILES.pid]: '123\n', 'status/web': '0\n', 'status/.cache.tmp-aabbccddeeff': '1' },
    state: 'exited',
  },
  { step: 'gc mark: after the rename, before unlock', dir: 'exited-garbage', lockFile: true, state: 'exited garbage' },
  { step: 'gc sweep: moved to garbage, hook not run', dir: 'garbage', lockFile: true, files: { [POD_FILES.netns]: '/run/x\n' }, state: 'garbage' },
  { step: 'gc sweep: half deleted, lock file gone', dir: 'garbage', lockFile: false, files: { 'overlay/upper/etc/passwd': 'x' }, state: 'garbage' },
];

describe('crash leftovers', async () => {
  const { store } = await tempStore('crash');
  const made = new Map<PodUuid, (typeof LEFTOVERS)[number]>();
  for (const leftover of LEFTOVERS) {
    made.set(await fakePod(store, leftover.dir, { lockFile: leftover.lockFile, files: leftover.files ?? {} }), leftover);
  }

  it('list shows every leftover in its state', async () => {
    const { pods, errors } = await listPods(store);
    assert.deepEqual(errors, []);
    for (const [uuid, leftover] of made) {
      assert.equal(pods.find((pod) => pod.uuid === uuid)?.state, leftover.state, leftover.step);
    }
  });

  it('gc removes them all (embryos once they are old enough)', async () => {
    const result = await gcPods(store, { gracePeriodMs: 0, expirePreparedMs: 0, now: Date.now() + 10 * 60_000 });
    assert.equal(result.failed, 0, JSON.stringify(result.events));
    for (const [uuid, leftover] of made) assert.equal(await podStateAt(store, uuid), undefined, leftover.step);
    for (const dir of ['embryo', 'prepare', 'prepared', 'run', 'exited-garbage', 'garbage'] as const) {
      assert.deepEqual(await entriesOf(store, dir), [], dir);
    }
  });
});

describe('a pod being changed by gc or rm', async () => {
  const { store } = await tempStore('changing');

  it('reads as what it is without a holder, not as running or preparing', async () => {
    const cases: ReadonlyArray<[StateDir, PodState]> = [
      ['run', 'exited'],
      ['prepare', 'aborted prepare'],
      ['exited-garbage', 'exited deleting'],
      ['garbage', 'deleting'],
    ];
    for (const [dir, state] of cases) {
      const uuid = await fakePod(store, dir);
      const acquired = await acquirePodLock(podPath(store, dir, uuid), 'change');
      assert.equal(acquired.status, 'locked');
      try {
        assert.equal(await podStateAt(store, uuid), state, dir);
        // A second changer is kept out.
        assert.deepEqual(await acquirePodLock(podPath(store, dir, uuid), 'change'), { status: 'busy' });
      } finally {
        if (acquired.status === 'locked') await acquired.lock.release();
      }
    }
  });
});
