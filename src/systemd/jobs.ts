/**
 * @module systemd/jobs — waiting for systemd jobs without losing a JobRemoved.
 *
 * A call like StartUnit replies with a job path, and the job's JobRemoved signal can be
 * parsed in the same socket chunk as that reply, i.e. before the caller's `await` resumes
 * (machine-facts §2). So every job-creating call takes a ticket before it is sent; while any
 * ticket is open, JobRemoved signals nobody waits for are kept, and the caller looks there
 * first. A kept result is dropped once every call that was in flight when it arrived has
 * claimed its job, so the map stays bounded under constant load.
 */
import type { RockletError } from '../util/index.js';
import { abortReason } from './abort.js';
import type { JobResult } from './unit-state.js';
import type { ObjectPath } from './unit-name.js';

/** A job-creating call in flight; pass it to {@link JobTracker.wait} or {@link JobTracker.release}. */
export interface JobTicket {
  readonly id: number;
}

/** A job's result, or the error decoding its JobRemoved signal. */
export type JobOutcomeValue = JobResult | RockletError;

interface Finished {
  readonly result: JobOutcomeValue;
  /** The newest ticket id open when the signal arrived; only tickets ≤ this can own the job. */
  readonly upToTicket: number;
}

interface Waiter {
  readonly resolve: (result: JobOutcomeValue) => void;
  readonly reject: (error: Error) => void;
}

export class JobTracker {
  private nextTicket = 0;
  private readonly open = new Set<number>();
  private readonly finished = new Map<string, Finished>();
  private readonly waiters = new Map<string, Waiter>();
  private failure: RockletError | undefined;

  /** Call before sending a job-creating method call. */
  begin(): JobTicket {
    const id = ++this.nextTicket;
    this.open.add(id);
    return { id };
  }

  /** Feed every JobRemoved signal here, synchronously as it arrives. */
  jobRemoved(job: ObjectPath, result: JobOutcomeValue): void {
    const waiter = this.waiters.get(job);
    if (waiter !== undefined) {
      this.waiters.delete(job);
      waiter.resolve(result);
      return;
    }
    if (this.open.size > 0) this.finished.set(job, { result, upToTicket: this.nextTicket });
  }

  /**
   * Resolves with the result of `job`, created by the call that took `ticket`. Releases the ticket.
   * Rejects with the connection's error if it is lost, or with `signal.reason` on abort
   * (the job itself keeps running).
   */
  wait(ticket: JobTicket, job: ObjectPath, signal?: AbortSignal): Promise<JobResult> {
    const done = this.finished.get(job);
    if (done !== undefined) {
      this.finished.delete(job);
      this.release(ticket);
      return typeof done.result === 'string' ? Promise.resolve(done.result) : Promise.reject(done.result);
    }
    if (this.failure !== undefined) {
      this.release(ticket);
      return Promise.reject(this.failure);
    }
    const promise = new Promise<JobResult>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(job);
        reject(signal === undefined ? new Error('aborted') : abortReason(signal));
      };
      if (signal?.aborted === true) return reject(abortReason(signal));
      signal?.addEventListener('abort', onAbort, { once: true });
      const unlisten = (): void => signal?.removeEventListener('abort', onAbort);
      this.waiters.set(job, {
        resolve: (result) => {
          unlisten();
          if (typeof result === 'string') resolve(result);
          else reject(result);
        },
        reject: (error) => {
          unlisten();
          reject(error);
        },
      });
    });
    // Release only after the waiter is registered, so no JobRemoved falls between the two.
    this.release(ticket);
    return promise;
  }

  /** Closes a ticket whose call failed or whose job is not wanted. Idempotent. */
  release(ticket: JobTicket): void {
    if (!this.open.delete(ticket.id)) return;
    let oldestOpen = Number.POSITIVE_INFINITY;
    for (const id of this.open) oldestOpen = Math.min(oldestOpen, id);
    for (const [job, entry] of this.finished) {
      if (entry.upToTicket < oldestOpen) this.finished.delete(job);
    }
  }

  /** Rejects every waiter and every later wait with `error` (the connection is gone). */
  fail(error: RockletError): void {
    this.failure = error;
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  /** Kept results not yet claimed (bounded by the calls in flight). */
  get keptResults(): number {
    return this.finished.size;
  }
}
