/**
 * @module systemd/wait — waiting for a unit to reach a state, driven by events (never sleeps).
 *
 * Subscribe first, then read a snapshot; events that arrived before the snapshot's reply
 * (by bus `sequence`) are already in it and are dropped, later ones are merged on top. When
 * a unit appears after having been absent, the snapshot is read again.
 */
import { type RockletError, unavailable } from '../util/index.js';
import { abortReason, asError } from './abort.js';
import type { EventHub, SystemdEvent } from './events.js';
import { type UnitName, unitObjectPath } from './unit-name.js';
import { type UnitStatus, mergeUnitStatus } from './unit-status.js';

/** A unit's status as of one bus sequence number; undefined status = not loaded. */
export interface StatusSnapshot {
  readonly status: UnitStatus | undefined;
  readonly sequence: number;
}

export interface WaitForUnitStateOptions {
  readonly signal?: AbortSignal;
  /** Gives up with `ERR_UNIT_WAIT_TIMEOUT` after this long; no limit when absent. */
  readonly timeoutMs?: number;
}

/** Decides whether the wait is over; `undefined` means the unit is not loaded. */
export type UnitStatePredicate = (status: UnitStatus | undefined) => boolean;

interface WaitDeps {
  readonly hub: EventHub;
  readonly read: (name: UnitName) => Promise<StatusSnapshot>;
}

function describe(status: UnitStatus | undefined): string {
  return status === undefined ? 'not loaded' : `${status.activeState}/${status.subState}`;
}

/**
 * Resolves with the first status of `name` for which `predicate` is true (possibly the current one).
 * @throws RockletError unavailable `ERR_UNIT_WAIT_TIMEOUT` on timeout, the connection's error on
 * disconnect, `signal.reason` on abort, or whatever `predicate` throws.
 */
export function waitForUnitState(
  deps: WaitDeps,
  name: UnitName,
  predicate: UnitStatePredicate,
  options: WaitForUnitStateOptions = {},
): Promise<UnitStatus | undefined> {
  const { signal, timeoutMs } = options;
  return new Promise<UnitStatus | undefined>((resolve, reject) => {
    if (signal?.aborted === true) return reject(abortReason(signal));
    let state: UnitStatus | undefined;
    let snapshotSequence = 0;
    let reading = false;
    let rereadWanted = false;
    let settled = false;
    const backlog: SystemdEvent[] = [];

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: unknown): void => finish(() => reject(asError(error)));
    const check = (): void => {
      try {
        if (predicate(state)) finish(() => resolve(state));
      } catch (error) {
        fail(error);
      }
    };
    const apply = (event: SystemdEvent): void => {
      if (!('sequence' in event) || event.sequence <= snapshotSequence) return;
      if (event.type === 'unit-removed') state = undefined;
      else if (event.type === 'unit-changed' && state !== undefined) state = mergeUnitStatus(state, event.changes);
      else if (event.type === 'unit-changed' || event.type === 'unit-new') rereadWanted = true;
    };
    const read = async (): Promise<void> => {
      reading = true;
      rereadWanted = false;
      try {
        const snapshot = await deps.read(name);
        state = snapshot.status;
        snapshotSequence = snapshot.sequence;
      } catch (error) {
        fail(error);
        return;
      }
      reading = false;
      for (const event of backlog.splice(0)) apply(event);
      check();
      if (rereadWanted && !settled) await read();
    };
    const onEvent = (event: SystemdEvent): void => {
      if (event.type === 'disconnected') return fail(event.error);
      // A change of this unit we cannot decode could be the one awaited: fail loudly, not hang.
      if (event.type === 'protocol-error') return event.path === unitObjectPath(name) ? fail(event.error) : undefined;
      if (event.type === 'job-removed' || event.unit !== name) return;
      if (reading) return void backlog.push(event);
      apply(event);
      if (rereadWanted) return void read();
      check();
    };
    const onAbort = (): void => fail(signal === undefined ? new Error('aborted') : abortReason(signal));
    const unsubscribe = deps.hub.subscribe(onEvent);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            const error: RockletError = unavailable(
              'ERR_UNIT_WAIT_TIMEOUT',
              `unit ${name} did not reach the awaited state within ${timeoutMs} ms (last seen: ${describe(state)})`,
            );
            fail(error);
          }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    void read();
  });
}
