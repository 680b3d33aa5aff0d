import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unavailable } from '../../src/util/index.js';
import { JobTracker } from '../../src/systemd/jobs.js';
import type { ObjectPath } from '../../src/systemd/index.js';

const job = (n: number): ObjectPath => `/org/freedesktop/systemd1/job/${n}` as ObjectPath;

describe('JobTracker', () => {
  it('resolves a wait whose JobRemoved arrived before the reply', async () => {
    const jobs = new JobTracker();
    const ticket = jobs.begin();
    jobs.jobRemoved(job(1), 'done');
    assert.equal(await jobs.wait(ticket, job(1)), 'done');
    assert.equal(jobs.keptResults, 0);
  });

  it('resolves a wait whose JobRemoved arrives later', async () => {
    const jobs = new JobTracker();
    const ticket = jobs.begin();
    const result = jobs.wait(ticket, job(2));
    jobs.jobRemoved(job(2), 'failed');
    assert.equal(await result, 'failed');
  });

  it('keeps no results while no call is in flight', () => {
    const jobs = new JobTracker();
    jobs.jobRemoved(job(3), 'done');
    assert.equal(jobs.keptResults, 0);
  });

  it('drops results of other clients once every call in flight at their arrival has finished', async () => {
    const jobs = new JobTracker();
    const first = jobs.begin();
    jobs.jobRemoved(job(10), 'done'); // someone else's job
    const second = jobs.begin();
    jobs.jobRemoved(job(11), 'done'); // someone else's job
    jobs.jobRemoved(job(12), 'done'); // first's job
    assert.equal(jobs.keptResults, 3);
    assert.equal(await jobs.wait(first, job(12)), 'done');
    // job 10 arrived while only `first` was open: droppable. job 11 could still be second's.
    assert.equal(jobs.keptResults, 1);
    jobs.release(second);
    assert.equal(jobs.keptResults, 0);
  });

  it('rejects waiting and later waits when the connection fails', async () => {
    const jobs = new JobTracker();
    const pending = jobs.wait(jobs.begin(), job(20));
    const error = unavailable('ERR_DBUS_UNAVAILABLE', 'gone');
    jobs.fail(error);
    await assert.rejects(pending, (e) => e === error);
    await assert.rejects(jobs.wait(jobs.begin(), job(21)), (e) => e === error);
  });

  it('rejects with the abort reason and forgets the waiter', async () => {
    const jobs = new JobTracker();
    const controller = new AbortController();
    const pending = jobs.wait(jobs.begin(), job(30), controller.signal);
    controller.abort(new Error('enough'));
    await assert.rejects(pending, /enough/);
    jobs.jobRemoved(job(30), 'done');
    assert.equal(jobs.keptResults, 0);
  });

  it('rejects a wait whose JobRemoved could not be decoded', async () => {
    const jobs = new JobTracker();
    const ticket = jobs.begin();
    const error = unavailable('ERR_SYSTEMD_PROTOCOL', 'bad result');
    jobs.jobRemoved(job(40), error);
    await assert.rejects(jobs.wait(ticket, job(40)), (e) => e === error);
  });
});
