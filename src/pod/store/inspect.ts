/**
 * @module pod/store/inspect — everything `list` and `status` show about one pod, read from its
 * directory: state (probe.ts), timestamps (file mtimes; gc-marked = the directory's ctime, as
 * rename(2) sets it), apps (metadata), networks, PID and recorded exit codes.
 *
 * Reads race with transitions by design (readers never block writers). A directory that
 * vanished while being read is looked up again, so the answer is a consistent snapshot of one
 * place, never a mix of two.
 */
import { lstat } from 'node:fs/promises';
import { errnoCode } from '../../util/index.js';
import type { AppExit } from './app-exits.js';
import { readAppExits } from './app-exits.js';
import { exists } from './acquire.js';
import type { PodStore, StateDir } from './layout.js';
import type { PodLocation } from './locate.js';
import type { PodNetworkInfo } from './net-info.js';
import { readNetInfo } from './net-info.js';
import type { PodMeta } from './pod-files.js';
import { readCreated, readPodMeta, readPodPid } from './pod-files.js';
import { locateWithState, probeLocation } from './probe.js';
import type { PodState } from './states.js';
import type { PodUuid } from './uuid.js';

/** A snapshot of one pod. */
export interface PodInfo {
  readonly uuid: PodUuid;
  readonly state: PodState;
  readonly dir: StateDir;
  readonly path: string;
  /** mtime of `pod-created`; undefined when a crash came first. */
  readonly created: Date | undefined;
  /** mtime of `pid`; undefined until the pod started. */
  readonly started: Date | undefined;
  readonly pid: number | undefined;
  /** When gc (or rm) marked the pod: the directory's ctime in `exited-garbage/` or `garbage/`. */
  readonly gcMarked: Date | undefined;
  /** Apps and images; undefined until preparation wrote the manifest. */
  readonly meta: PodMeta | undefined;
  readonly networks: readonly PodNetworkInfo[];
  /** Recorded app exits, in the metadata's app order. */
  readonly appExits: readonly AppExit[];
}

const ATTEMPTS = 3;

/** Read the pod at `location` in `state`; undefined when the directory moved away meanwhile. */
export async function inspectLocation(location: PodLocation, state: PodState): Promise<PodInfo | undefined> {
  const { path: dir } = location;
  const [created, pidRecord, meta, networks, gcMarked] = await Promise.all([
    readCreated(dir),
    readPodPid(dir),
    readPodMeta(dir),
    readNetInfo(dir),
    location.dir === 'exited-garbage' || location.dir === 'garbage' ? ctimeOf(dir) : Promise.resolve(undefined),
  ]);
  const appExits = await readAppExits(dir, meta?.apps.map((app) => app.name) ?? []);
  if (!(await exists(dir))) return undefined;
  return {
    uuid: location.uuid,
    state,
    dir: location.dir,
    path: dir,
    created,
    started: pidRecord?.started,
    pid: pidRecord?.pid,
    gcMarked,
    meta,
    networks,
    appExits,
  };
}

/** Probe and read the pod at `location`; undefined when it moved away meanwhile. */
export async function inspectAt(location: PodLocation): Promise<PodInfo | undefined> {
  const state = await probeLocation(location);
  return state === undefined ? undefined : inspectLocation(location, state);
}

/** A snapshot of pod `uuid`, or undefined when there is no such pod. */
export async function inspectPod(store: PodStore, uuid: PodUuid): Promise<PodInfo | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const found = await locateWithState(store, uuid);
    if (found === undefined) return undefined;
    const info = await inspectLocation(found.location, found.state);
    if (info !== undefined) return info;
  }
  return undefined;
}

async function ctimeOf(file: string): Promise<Date | undefined> {
  try {
    return (await lstat(file)).ctime;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
