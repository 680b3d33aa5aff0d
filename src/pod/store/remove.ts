/**
 * @module pod/store/remove — `rocklet rm UUID`: destroy one pod that is not running, now, with
 * no grace period, and with rkt's messages for the pods it refuses:
 * `pod "X" is currently running`, `… is currently being prepared`, `… is currently being deleted`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { assertNever, failedPrecondition, notFound } from '../../util/index.js';
import { acquirePodLock } from './acquire.js';
import type { BeforeDelete } from './destroy.js';
import { destroyPod } from './destroy.js';
import type { PodStore } from './layout.js';
import { locateWithState } from './probe.js';
import type { PodState } from './states.js';
import type { PodUuid } from './uuid.js';

/** Options of {@link removePod}. */
export interface RemoveOptions {
  readonly beforeDelete?: BeforeDelete;
}

/**
 * Looks before giving up on a pod that changes under us. Waits between them (ms) let a racer
 * that holds the lock finish (another rm, gc): the answer is then what happened to the pod
 * (gone, being deleted) rather than "busy".
 */
const RETRY_WAITS_MS = [0, 10, 30, 80, 150];
const ATTEMPTS = RETRY_WAITS_MS.length;

function refusal(uuid: PodUuid, state: PodState): Error | undefined {
  switch (state) {
    case 'running':
      return failedPrecondition('ERR_POD_RUNNING', `pod "${uuid}" is currently running`, {
        hint: 'stop it first ("rocklet stop"), then remove it',
      });
    case 'embryo':
    case 'preparing':
      return failedPrecondition('ERR_POD_PREPARING', `pod "${uuid}" is currently being prepared`);
    case 'deleting':
    case 'exited deleting':
      return failedPrecondition('ERR_POD_DELETING', `pod "${uuid}" is currently being deleted`);
    case 'aborted prepare':
    case 'prepared':
    case 'exited':
    case 'exited garbage':
    case 'garbage':
      return undefined;
    default:
      return assertNever(state, 'pod state');
  }
}

/**
 * Remove pod `uuid` (a full UUID; resolve prefixes first). Throws `ERR_POD_NOT_FOUND`,
 * `ERR_POD_RUNNING`, `ERR_POD_PREPARING`, `ERR_POD_DELETING`, or what `beforeDelete` or the
 * deletion threw (the pod is then left in `garbage/` for gc to retry).
 */
export async function removePod(store: PodStore, uuid: PodUuid, options: RemoveOptions = {}): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const wait = RETRY_WAITS_MS[attempt] ?? 0;
    if (wait > 0) await delay(wait);
    const found = await locateWithState(store, uuid);
    if (found === undefined) throw notFound('ERR_POD_NOT_FOUND', `pod "${uuid}" does not exist`);
    const refused = refusal(uuid, found.state);
    if (refused !== undefined) throw refused;
    const acquired = await acquirePodLock(found.location.path, 'change');
    switch (acquired.status) {
      case 'locked':
      case 'no-lock-file': {
        const lock = acquired.status === 'locked' ? acquired.lock : undefined;
        // False: another process removed it first (a pod without a lock file may be one another
        // process is deleting); the next look says so.
        if (await destroyPod(store, uuid, found.location.dir, lock, found.state, options.beforeDelete)) return;
        continue;
      }
      case 'busy':
      case 'gone':
        // It changed state between the look and the lock (started, moved, being deleted): look again.
        continue;
    }
  }
  const state = (await locateWithState(store, uuid))?.state;
  if (state === undefined) throw notFound('ERR_POD_NOT_FOUND', `pod "${uuid}" does not exist`);
  throw refusal(uuid, state) ?? failedPrecondition('ERR_POD_BUSY', `pod "${uuid}" is busy: another process holds its lock`);
}
