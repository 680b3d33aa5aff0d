import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodToDelete, PodUuid } from '../../../src/pod/index.js';
import { createPod, markPrepared, markRunning, podStateAt, removePod } from '../../../src/pod/index.js';
import { acquirePodLock } from '../../../src/pod/store/acquire.js';
import { podPath } from '../../../src/pod/store/layout.js';
import { fakePod, tempStore } from './helpers.js';

describe('rm', async () => {
  const { store } = await tempStore('rm');

  it('refuses a running pod', async () => {
    const pod = await createPod(store);
    await markRunning(pod);
    try {
      await assert.rejects(removePod(store, pod.uuid), {
        code: 'ERR_POD_RUNNING',
        message: `pod "${pod.uuid}" is currently running`,
      });
      assert.equal(await podStateAt(store, pod.uuid), 'running');
    } finally {
      await pod.release();
    }
  });

  it('refuses a pod being prepared, and an embryo', async () => {
    const pod = await createPod(store);
    try {
      await assert.rejects(removePod(store, pod.uuid), {
        code: 'ERR_POD_PREPARING',
        message: `pod "${pod.uuid}" is currently being prepared`,
      });
    } finally {
      await pod.release();
    }
    const embryo = await fakePod(store, 'embryo');
    await assert.rejects(removePod(store, embryo), { code: 'ERR_POD_PREPARING' });
  });

  it('refuses a pod that is being deleted', async () => {
    const uuid = await fakePod(store, 'exited-garbage');
    const acquired = await acquirePodLock(podPath(store, 'exited-garbage', uuid), 'change');
    assert.equal(acquired.status, 'locked');
    try {
      await assert.rejects(removePod(store, uuid), {
        code: 'ERR_POD_DELETING',
        message: `pod "${uuid}" is currently being deleted`,
      });
    } finally {
      if (acquired.status === 'locked') await acquired.lock.release();
    }
  });

  it('removes prepared, aborted, exited and marked pods at once, calling beforeDelete', async () => {
    const prepared = await createPod(store);
    await markPrepared(prepared);
    const aborted = await createPod(store);
    await aborted.release();
    const exited = await createPod(store);
    await markRunning(exited);
    await exited.release();
    const marked = await fakePod(store, 'exited-garbage');
    const expected: Array<[PodUuid, string]> = [
      [prepared.uuid, 'prepared'],
      [aborted.uuid, 'aborted prepare'],
      [exited.uuid, 'exited'],
      [marked, 'exited garbage'],
    ];
    for (const [uuid, state] of expected) {
      const calls: PodToDelete[] = [];
      await removePod(store, uuid, { beforeDelete: (pod) => Promise.resolve(void calls.push(pod)) });
      assert.deepEqual(calls, [{ uuid, path: podPath(store, 'garbage', uuid), previousState: state }]);
      assert.equal(await podStateAt(store, uuid), undefined);
    }
  });

  it('leaves the pod in garbage for gc when beforeDelete fails', async () => {
    const uuid = await fakePod(store, 'run');
    await assert.rejects(
      removePod(store, uuid, {
        beforeDelete: () => Promise.reject(new Error('lease file busy')),
      }),
      { message: 'lease file busy' },
    );
    assert.equal(await podStateAt(store, uuid), 'garbage');
  });

  it('reports a pod that does not exist', async () => {
    const uuid = '00000000-0000-4000-8000-0000000000ff' as PodUuid;
    await assert.rejects(removePod(store, uuid), { code: 'ERR_POD_NOT_FOUND', message: `pod "${uuid}" does not exist` });
  });
});
