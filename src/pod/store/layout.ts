/**
 * @module pod/store/layout — where pods live under the data dir (DESIGN.md §4):
 *
 * ```
 * <dataDir>/pods/embryo/<uuid>/          being created (only for an instant)
 *               /prepare/<uuid>/         being prepared (locked) or an aborted prepare
 *               /prepared/<uuid>/        ready for run-prepared
 *               /run/<uuid>/             running (locked) or exited
 *               /exited-garbage/<uuid>/  exited and marked by gc; deleted after the grace period
 *               /garbage/<uuid>/         to be deleted now
 * ```
 *
 * A pod's state is which of these directories holds it plus whether its lock is held
 * (states.ts); a transition is one rename(2) between them.
 */
import { mkdir, rename } from 'node:fs/promises';
import { renameDurable } from '../../util/index.js';
import path from 'node:path';
import type { PodUuid } from './uuid.js';

/** The state directories, in the order a pod moves through them. */
export const STATE_DIRS = ['embryo', 'prepare', 'prepared', 'run', 'exited-garbage', 'garbage'] as const;
export type StateDir = (typeof STATE_DIRS)[number];

/** The directories UUID prefixes are resolved in and `rm` acts on (rkt's choice: not embryo/garbage). */
export const RESOLVABLE_DIRS: readonly StateDir[] = ['prepare', 'prepared', 'run', 'exited-garbage'];

/** Mode of the state directories and of each pod directory (rkt: 0750). */
export const POD_DIR_MODE = 0o750;

/** Paths of one pod store. Creating the value touches nothing on disk. */
export interface PodStore {
  /** `<dataDir>/pods` */
  readonly podsDir: string;
}

/** The pod store under `dataDir` (absolute path expected; `--dir`). */
export function podStore(dataDir: string): PodStore {
  return { podsDir: path.join(path.resolve(dataDir), 'pods') };
}

/** `<pods>/<dir>` */
export function stateDirPath(store: PodStore, dir: StateDir): string {
  return path.join(store.podsDir, dir);
}

/** `<pods>/<dir>/<uuid>` */
export function podPath(store: PodStore, dir: StateDir, uuid: PodUuid): string {
  return path.join(store.podsDir, dir, uuid);
}

/** Create every state directory (idempotent); writers call this, readers never need to. */
export async function ensureStateDirs(store: PodStore): Promise<void> {
  for (const dir of STATE_DIRS) await mkdir(stateDirPath(store, dir), { recursive: true, mode: POD_DIR_MODE });
}

/**
 * The files of a pod directory. `lock` is the pod lock (a file, because a write lock needs a
 * writable descriptor, which a directory cannot have); it is an inode inside the directory,
 * so it moves with every rename and the lock stays held across transitions.
 */
export const POD_FILES = {
  lock: 'lock',
  /** Empty; its mtime is the creation time (CREATED). */
  created: 'pod-created',
  /** The pod manifest as JSON (`cat-manifest`), opaque to the store. */
  manifest: 'pod',
  /** Typed metadata for `list`: apps and their images. */
  meta: 'pod-meta.json',
  /** PID of the pod's resident process; its mtime is the start time (STARTED). */
  pid: 'pid',
  /** Networks of the pod (`list` NETWORKS, `status` networks=), written by the runtime. */
  netInfo: 'net-info.json',
  /** The path of the pod's network namespace file, written by the runtime. */
  netns: 'netns',
  /** Directory of `<app>` files holding each app's exit code; their mtimes are finish times. */
  status: 'status',
} as const;

/**
 * Move pod `uuid` from state dir `from` to `to`: one rename(2), made durable (both parents
 * fsynced) unless `durable` is false. The target state dir is created when missing. The caller
 * holds the pod's lock (or knows that the pod has no lock file). Fails with ENOENT when the pod
 * is not in `from`.
 */
export async function movePod(store: PodStore, uuid: PodUuid, from: StateDir, to: StateDir, options: { readonly durable?: boolean } = {}): Promise<void> {
  await mkdir(stateDirPath(store, to), { recursive: true, mode: POD_DIR_MODE });
  if (options.durable === false) {
    await rename(podPath(store, from, uuid), podPath(store, to, uuid));
    return;
  }
  await renameDurable(podPath(store, from, uuid), podPath(store, to, uuid));
}
