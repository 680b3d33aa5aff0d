/**
 * @module pod/store/states — pod states, rkt's names and rkt's rule (rkt.md §2.1):
 *
 * | directory        | lock held        | lock free (or no lock file) |
 * |------------------|------------------|-----------------------------|
 * | `embryo`         | embryo           | embryo                      |
 * | `prepare`        | preparing        | aborted prepare             |
 * | `prepared`       | prepared         | prepared                    |
 * | `run`            | running          | exited                      |
 * | `exited-garbage` | exited deleting  | exited garbage              |
 * | `garbage`        | deleting         | garbage                     |
 *
 * "Held" means the pod's holder (some open file description) has the live lock on the pod's
 * `lock` file; a process changing the pod (gc, rm) is told apart (pod-lock.ts) and does not
 * count as a holder, except in the garbage directories, where it is what `deleting` means.
 * The kernel drops it when the last descriptor of that description closes, which is how a
 * crash turns `preparing` into `aborted prepare` and `running` into `exited` with nothing
 * written. (`exited deleting` is rkt's tenth state: an exited pod being swept.)
 */
import { assertNever } from '../../util/index.js';
import type { StateDir } from './layout.js';

export const POD_STATES = [
  'embryo',
  'preparing',
  'aborted prepare',
  'prepared',
  'running',
  'exited',
  'exited garbage',
  'exited deleting',
  'garbage',
  'deleting',
] as const;
export type PodState = (typeof POD_STATES)[number];

/**
 * What a non-blocking probe found out about a pod's lock: held by the pod's holder, held by a
 * process changing the pod's state (gc, rm), free, or no lock file at all.
 */
export type LockStatus = 'held' | 'changing' | 'free' | 'missing';

/** The state of a pod in `dir` whose lock is `lock`. */
export function stateOf(dir: StateDir, lock: LockStatus): PodState {
  // A changer only ever takes pods that have no holder: for `prepare` and `run` the pod is
  // what it was without one; in the garbage dirs, changing is deleting.
  const held = lock === 'held';
  const taken = lock === 'held' || lock === 'changing';
  switch (dir) {
    case 'embryo':
      return 'embryo';
    case 'prepare':
      return held ? 'preparing' : 'aborted prepare';
    case 'prepared':
      return 'prepared';
    case 'run':
      return held ? 'running' : 'exited';
    case 'exited-garbage':
      return taken ? 'exited deleting' : 'exited garbage';
    case 'garbage':
      return taken ? 'deleting' : 'garbage';
    default:
      return assertNever(dir, 'state dir');
  }
}

/** True when the pod ran and its apps are over (`status` prints `exited=true`). */
export function isExitedState(state: PodState): boolean {
  return state === 'exited' || state === 'exited garbage' || state === 'exited deleting';
}

/**
 * True when nothing will happen to the pod on its own any more: it exited, its preparation
 * died, or it is garbage. `status --wait` waits for this.
 */
export function isFinalState(state: PodState): boolean {
  switch (state) {
    case 'exited':
    case 'exited garbage':
    case 'exited deleting':
    case 'aborted prepare':
    case 'garbage':
    case 'deleting':
      return true;
    case 'embryo':
    case 'preparing':
    case 'prepared':
    case 'running':
      return false;
    default:
      return assertNever(state, 'pod state');
  }
}
