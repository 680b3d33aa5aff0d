/**
 * @module pod/store/status — the data of `rocklet status UUID [--wait[=DURATION]]`.
 *
 * `--wait` polls the pod's state every 100 ms (rkt's interval) until it is final (exited,
 * aborted, garbage) or the pod is gone. Not inotify: the event that matters is the kernel
 * dropping a lock when its last holder dies, which changes no directory entry, and `fs.watch`
 * (libuv's inotify mask has no IN_CLOSE_*) cannot see the lock file being closed either. A
 * poll is one open + fcntl + close, so waiting costs next to nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration, notFound, unavailable } from '../../util/index.js';
import type { PodInfo } from './inspect.js';
import { inspectPod } from './inspect.js';
import type { PodStore } from './layout.js';
import { formatNetworks } from './net-info.js';
import { podStateAt } from './probe.js';
import type { PodState } from './states.js';
import { isExitedState, isFinalState } from './states.js';
import type { PodUuid } from './uuid.js';

/** rkt's polling interval for `status --wait`. */
export const WAIT_POLL_MS = 100;

/** The snapshot `status` prints. Throws `ERR_POD_NOT_FOUND` when the pod does not exist. */
export async function podStatus(store: PodStore, uuid: PodUuid): Promise<PodInfo> {
  const info = await inspectPod(store, uuid);
  if (info === undefined) throw notFound('ERR_POD_NOT_FOUND', `pod "${uuid}" does not exist`);
  return info;
}

/**
 * `status`'s `key=value` lines, in rkt's order: `state`, `created`, `started` (once started),
 * `networks` (running or exited pods with networks), `pid` (when recorded), `exited`, then
 * `app-<name>=<code>` per recorded app unless the pod is running. Times go through `formatTime`
 * (the CLI's choice of layout).
 */
export function statusEntries(info: PodInfo, formatTime: (time: Date) => string): Array<readonly [string, string]> {
  const entries: Array<readonly [string, string]> = [['state', info.state]];
  if (info.created !== undefined) entries.push(['created', formatTime(info.created)]);
  if (info.started !== undefined) entries.push(['started', formatTime(info.started)]);
  if ((info.state === 'running' || isExitedState(info.state)) && info.networks.length > 0) {
    entries.push(['networks', formatNetworks(info.networks)]);
  }
  if (info.pid !== undefined) entries.push(['pid', String(info.pid)]);
  entries.push(['exited', String(isExitedState(info.state))]);
  if (info.state !== 'running') {
    for (const exit of info.appExits) entries.push([`app-${exit.name}`, String(exit.code)]);
  }
  return entries;
}

/** Options of {@link waitForPodExit}. */
export interface WaitOptions {
  /** Give up after this long (`--wait=DURATION`); wait forever when undefined (bare `--wait`). */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Poll interval; default {@link WAIT_POLL_MS}. */
  readonly intervalMs?: number;
}

/**
 * Wait until pod `uuid` is in a final state (`isFinalState`) and return that state, or
 * undefined when the pod is gone. Throws `ERR_POD_WAIT_TIMEOUT` with rkt's message after
 * `timeoutMs`, and rejects with `signal.reason` when aborted.
 */
export async function waitForPodExit(store: PodStore, uuid: PodUuid, options: WaitOptions = {}): Promise<PodState | undefined> {
  const { signal, timeoutMs } = options;
  const interval = options.intervalMs ?? WAIT_POLL_MS;
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const state = await podStateAt(store, uuid);
    if (state === undefined || isFinalState(state)) return state;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw unavailable('ERR_POD_WAIT_TIMEOUT', 'error waiting for pod to finish: context deadline exceeded', {
        hint: `the pod was still ${state} after ${formatDuration(timeoutMs ?? 0)}`,
      });
    }
    try {
      await sleep(Math.min(interval, left), undefined, signal === undefined ? {} : { signal });
    } catch (error) {
      throw signal?.aborted === true ? signal.reason : error;
    }
  }
}
