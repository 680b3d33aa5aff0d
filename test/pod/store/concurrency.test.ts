import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodUuid } from '../../../src/pod/index.js';
import { createPod, markPrepared, markRunning, podStateAt } from '../../../src/pod/index.js';
import type { Worker } from './helpers.js';
import { entriesOf, startWorker, tempStore } from './helpers.js';

/** Start two workers, wait until both are ready, release them together, collect their answers. */
async function race(a: Worker, b: Worker): Promise<Array<Record<string, unknown>>> {
  await Promise.all([a.next(), b.next()]);
  a.go();
  b.go();
  return Promise.all([a.next(), b.next()]);
}

describe('two processes, one pod', async () => {
  const { store, dataDir } = await tempStore('race');

  it('run-prepared: exactly one of two racers wins', async () => {
    for (let round = 0; round < 5; round += 1) {
      const pod = await createPod(store);
      await markPrepared(pod);
      const a = startWorker('run-prepared', dataDir, pod.uuid);
      const b = startWorker('run-prepared', dataDir, pod.uuid);
      const answers = await race(a, b);
      const winners = answers.filter((answer) => answer.won === true);
      const losers = answers.filter((answer) => answer.won === false);
      assert.equal(winners.length, 1, JSON.stringify(answers));
      assert.equal(winners[0]?.dir, 'run');
      assert.equal(losers.length, 1);
      assert.ok(['ERR_POD_NOT_PREPARED', 'ERR_POD_BUSY'].includes(String(losers[0]?.code)), JSON.stringify(losers));
      assert.equal(await podStateAt(store, pod.uuid), 'running');
      const winner = answers[0]?.won === true ? a : b;
      await winner.kill();
      assert.equal(await podStateAt(store, pod.uuid), 'exited');
      await (winner === a ? b : a).exited();
    }
  });

  it('gc: each exited pod is marked and deleted exactly once', async () => {
    const uuids: PodUuid[] = [];
    for (let i = 0; i < 6; i += 1) {
      const pod = await createPod(store);
      await markRunning(pod);
      await pod.release();
      uuids.push(pod.uuid);
    }
    const answers = await race(startWorker('gc', dataDir), startWorker('gc', dataDir));
    const events = answers.flatMap((answer) => answer.events as Array<{ kind: string; uuid: string }>);
    for (const uuid of uuids) {
      const mine = events.filter((event) => event.uuid === uuid);
      assert.equal(mine.filter((event) => event.kind === 'marked-exited').length, 1, JSON.stringify(mine));
      assert.equal(mine.filter((event) => event.kind === 'deleted').length, 1, JSON.stringify(mine));
      assert.equal(mine.filter((event) => event.kind === 'failed').length, 0, JSON.stringify(mine));
      assert.equal(await podStateAt(store, uuid), undefined);
    }
    assert.deepEqual(await entriesOf(store, 'garbage'), []);
    assert.deepEqual(await entriesOf(store, 'exited-garbage'), []);
  });

  it('rm: one of two racers removes the pod, the other is told why not', async () => {
    const pod = await createPod(store);
    await markRunning(pod);
    await pod.release();
    const answers = await race(startWorker('rm', dataDir, pod.uuid), startWorker('rm', dataDir, pod.uuid));
    assert.equal(answers.filter((answer) => answer.removed === true).length, 1, JSON.stringify(answers));
    const loser = answers.find((answer) => answer.removed === false);
    // Gone already, being deleted, or still locked by the winner's removal: each is a reason.
    assert.ok(['ERR_POD_NOT_FOUND', 'ERR_POD_DELETING', 'ERR_POD_BUSY'].includes(String(loser?.code)), JSON.stringify(answers));
    assert.equal(await podStateAt(store, pod.uuid), undefined);
  });
});
