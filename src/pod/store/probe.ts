/**
 * @module pod/store/probe — a pod's current state: where it is, and whether its lock is held.
 *
 * The lock is probed only where it means something (not in `embryo/` or `prepared/`). After the
 * probe the directory must still be where it was; if it moved meanwhile, the pod is looked up
 * again, so a pod caught mid-transition is reported in the state it moved to.
 */
import path from 'node:path';
import { exists } from './acquire.js';
import type { PodStore, StateDir } from './layout.js';
import { POD_FILES } from './layout.js';
import type { PodLocation } from './locate.js';
import { locatePod } from './locate.js';
import { probePodLock } from './pod-lock.js';
import type { LockStatus, PodState } from './states.js';
import { stateOf } from './states.js';
import type { PodUuid } from './uuid.js';

const RELOCATE_ATTEMPTS = 3;

function lockMatters(dir: StateDir): boolean {
  return dir !== 'embryo' && dir !== 'prepared';
}

/**
 * The state of the pod at `location`, or undefined when the directory is no longer there
 * (the caller may look it up again).
 */
export async function probeLocation(location: PodLocation): Promise<PodState | undefined> {
  const lock: LockStatus = lockMatters(location.dir) ? await probePodLock(path.join(location.path, POD_FILES.lock)) : 'free';
  // Changers move the directory before they unlock: if it is still here, the probe is consistent.
  if (!(await exists(location.path))) return undefined;
  return stateOf(location.dir, lock);
}

/** Where the pod is and its state, or undefined when there is no such pod (any more). */
export async function locateWithState(
  store: PodStore,
  uuid: PodUuid,
): Promise<{ location: PodLocation; state: PodState } | undefined> {
  for (let attempt = 0; attempt < RELOCATE_ATTEMPTS; attempt += 1) {
    const location = await locatePod(store, uuid);
    if (location === undefined) return undefined;
    const state = await probeLocation(location);
    if (state !== undefined) return { location, state };
  }
  return undefined;
}

/** The state of pod `uuid`, or undefined when there is no such pod. */
export async function podStateAt(store: PodStore, uuid: PodUuid): Promise<PodState | undefined> {
  return (await locateWithState(store, uuid))?.state;
}

/** `its state is "running"`, `it no longer exists` — the tail of messages about a pod in the wrong state. */
export function describeState(state: PodState | undefined): string {
  return state === undefined ? 'it no longer exists' : `its state is "${state}"`;
}
