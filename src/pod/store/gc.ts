/**
 * @module pod/store/gc — garbage collection of pods, rkt's order (rkt.md §2.4):
 *
 * 1. exited pods (`run/`, lock free) → `exited-garbage/` ("moving pod … to garbage");
 * 2. aborted prepares (`prepare/`, lock free) → `garbage/` ("moving failed prepare …"), and
 *    embryos older than {@link EMBRYO_EXPIRY_MS} (a crash while creating) → `garbage/`;
 *    with `markOnly` gc stops here;
 * 3. prepared pods that became prepared more than `expirePreparedMs` ago → `garbage/`;
 * 4. `exited-garbage/` pods marked more than `gracePeriodMs` ago (directory ctime, i.e. the
 *    grace period starts at marking) are destroyed; younger ones are reported and kept;
 * 5. everything in `garbage/` is destroyed.
 *
 * A pod whose lock is held is never touched (running, preparing, or another gc or rm at
 * work). Failures are per pod: reported as `failed` events, the other pods carry on.
 */
import { lstat } from 'node:fs/promises';
import { errnoCode, formatDuration } from '../../util/index.js';
import type { Acquired } from './acquire.js';
import { acquirePodLock } from './acquire.js';
import type { BeforeDelete } from './destroy.js';
import { destroyPod } from './destroy.js';
import type { PodStore, StateDir } from './layout.js';
import { movePod, podPath } from './layout.js';
import { podsIn } from './locate.js';
import { LockedPod } from './transitions.js';
import type { PodUuid } from './uuid.js';

/** rkt's default `--grace-period`. */
export const DEFAULT_GRACE_PERIOD_MS = 30 * 60_000;
/** rkt's default `--expire-prepared`. */
export const DEFAULT_EXPIRE_PREPARED_MS = 24 * 3_600_000;
/** An embryo exists for milliseconds; one this old was left by a crash. */
export const EMBRYO_EXPIRY_MS = 60_000;

/** Something gc did or decided about one pod. */
export type GcEvent =
  | { readonly kind: 'marked-exited' | 'marked-aborted' | 'marked-embryo' | 'marked-expired' | 'deleted'; readonly uuid: PodUuid }
  | { readonly kind: 'within-grace'; readonly uuid: PodUuid; readonly gracePeriodMs: number }
  | { readonly kind: 'failed'; readonly uuid: PodUuid; readonly error: unknown };

/** Options of {@link gcPods}. */
export interface GcOptions {
  /** `--grace-period` (default 30m): how long marked exited pods are kept. */
  readonly gracePeriodMs?: number;
  /** `--expire-prepared` (default 24h). */
  readonly expirePreparedMs?: number;
  /** `--mark-only`: steps 1 and 2 only. */
  readonly markOnly?: boolean;
  /** Releases a pod's outside resources before its directory is deleted. */
  readonly beforeDelete?: BeforeDelete;
  /** Called for each event as it happens (the CLI prints them). */
  readonly onEvent?: (event: GcEvent) => void;
  /** A fixed current time in ms for age decisions (default: `Date.now()` at each decision). */
  readonly now?: number;
  /** Override of {@link EMBRYO_EXPIRY_MS}. */
  readonly embryoExpiryMs?: number;
}

/** What one gc pass did, in order. */
export interface GcResult {
  readonly events: readonly GcEvent[];
  /** How many pods failed (`failed` events). */
  readonly failed: number;
}

/** rkt's wording of an event, and the stream rkt printed it on. */
export function gcEventMessage(event: GcEvent): { readonly stream: 'stdout' | 'stderr'; readonly text: string } {
  const id = `"${event.uuid}"`;
  switch (event.kind) {
    case 'marked-exited':
      return { stream: 'stderr', text: `moving pod ${id} to garbage` };
    case 'marked-aborted':
      return { stream: 'stderr', text: `moving failed prepare ${id} to garbage` };
    case 'marked-embryo':
      return { stream: 'stderr', text: `moving abandoned embryo ${id} to garbage` };
    case 'marked-expired':
      return { stream: 'stderr', text: `moving expired prepared pod ${id} to garbage` };
    case 'within-grace':
      return { stream: 'stderr', text: `pod ${id} not removed: still within grace period (${formatDuration(event.gracePeriodMs)})` };
    case 'deleted':
      return { stream: 'stdout', text: `Garbage collecting pod ${id}` };
    case 'failed':
      return { stream: 'stderr', text: `unable to collect pod ${id}: ${event.error instanceof Error ? event.error.message : String(event.error)}` };
  }
}

/** The directory's ctime in ms (when it was last renamed), or undefined when it is gone. */
async function changedAt(dir: string): Promise<number | undefined> {
  try {
    return (await lstat(dir)).ctimeMs;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Move the pod to `to` if its lock can be taken; returns whether it moved. */
async function markIfFree(store: PodStore, uuid: PodUuid, from: StateDir, to: StateDir): Promise<boolean> {
  const acquired: Acquired = await acquirePodLock(podPath(store, from, uuid), 'change');
  switch (acquired.status) {
    case 'busy':
    case 'gone':
      return false;
    case 'no-lock-file':
      // Nothing can hold a lock that has no file (a crash before it was made), so another gc
      // may move the same pod at the same time: the loser finds it gone.
      try {
        await movePod(store, uuid, from, to);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return false;
        throw error;
      }
      return true;
    case 'locked': {
      const pod = new LockedPod(store, uuid, from, acquired.lock);
      try {
        await pod.moveTo(to);
      } finally {
        await pod.release();
      }
      return true;
    }
  }
}

/** Destroy the pod in `from` unless its lock is held; returns whether it was deleted. */
async function destroyIfFree(store: PodStore, uuid: PodUuid, from: StateDir, options: GcOptions): Promise<boolean> {
  const acquired = await acquirePodLock(podPath(store, from, uuid), 'change');
  if (acquired.status === 'busy' || acquired.status === 'gone') return false;
  const lock = acquired.status === 'locked' ? acquired.lock : undefined;
  const previousState = from === 'exited-garbage' ? 'exited garbage' : 'garbage';
  return destroyPod(store, uuid, from, lock, previousState, options.beforeDelete);
}

/** One gc pass over the store. Never throws for a single pod; see {@link GcResult}. */
export async function gcPods(store: PodStore, options: GcOptions = {}): Promise<GcResult> {
  // Read per decision, not once: a pod marked in this very pass must count as marked now.
  const now = (): number => options.now ?? Date.now();
  const grace = options.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
  const expirePrepared = options.expirePreparedMs ?? DEFAULT_EXPIRE_PREPARED_MS;
  const embryoExpiry = options.embryoExpiryMs ?? EMBRYO_EXPIRY_MS;
  const events: GcEvent[] = [];
  const tried = new Set<PodUuid>();
  const emit = (event: GcEvent): void => {
    events.push(event);
    options.onEvent?.(event);
  };
  const each = async (dir: StateDir, act: (uuid: PodUuid) => Promise<GcEvent | undefined>): Promise<void> => {
    for (const uuid of await podsIn(store, dir)) {
      try {
        const event = await act(uuid);
        if (event !== undefined) emit(event);
      } catch (error) {
        emit({ kind: 'failed', uuid, error });
      }
    }
  };
  const olderThan = async (dir: StateDir, uuid: PodUuid, ms: number): Promise<boolean> => {
    const changed = await changedAt(podPath(store, dir, uuid));
    return changed !== undefined && now() - changed >= ms;
  };

  await each('run', async (uuid) =>
    (await markIfFree(store, uuid, 'run', 'exited-garbage')) ? { kind: 'marked-exited', uuid } : undefined);
  await each('prepare', async (uuid) =>
    (await markIfFree(store, uuid, 'prepare', 'garbage')) ? { kind: 'marked-aborted', uuid } : undefined);
  await each('embryo', async (uuid) =>
    (await olderThan('embryo', uuid, embryoExpiry)) && (await markIfFree(store, uuid, 'embryo', 'garbage'))
      ? { kind: 'marked-embryo', uuid }
      : undefined);
  if (options.markOnly === true) return summary(events);

  await each('prepared', async (uuid) =>
    (await olderThan('prepared', uuid, expirePrepared)) && (await markIfFree(store, uuid, 'prepared', 'garbage'))
      ? { kind: 'marked-expired', uuid }
      : undefined);
  await each('exited-garbage', async (uuid) => {
    if (!(await olderThan('exited-garbage', uuid, grace))) {
      return (await changedAt(podPath(store, 'exited-garbage', uuid))) === undefined
        ? undefined
        : { kind: 'within-grace', uuid, gracePeriodMs: grace };
    }
    tried.add(uuid);
    return (await destroyIfFree(store, uuid, 'exited-garbage', options)) ? { kind: 'deleted', uuid } : undefined;
  });
  // A pod whose destruction failed above is in garbage/ now; it is retried by the next pass.
  await each('garbage', async (uuid) =>
    !tried.has(uuid) && (await destroyIfFree(store, uuid, 'garbage', options)) ? { kind: 'deleted', uuid } : undefined);
  return summary(events);
}

function summary(events: readonly GcEvent[]): GcResult {
  return { events, failed: events.filter((event) => event.kind === 'failed').length };
}
