/**
 * @module pod/store/list — the data of `rocklet list` (`UUID APP IMAGE NAME STATE CREATED STARTED
 * NETWORKS`); the CLI renders it.
 *
 * rkt listed the `prepare`, `prepared`, `run` and `exited-garbage` directories only. By default
 * this lists `embryo/` and `garbage/` too, so every crash leftover is visible until gc removes
 * it; pass `dirs: RESOLVABLE_DIRS` for rkt's view. A pod that cannot be read (a corrupt file)
 * does not fail the listing: its error is returned beside the others, as rkt printed such
 * errors after the table.
 */
import type { PodStore, StateDir } from './layout.js';
import { STATE_DIRS } from './layout.js';
import type { PodInfo } from './inspect.js';
import { inspectAt, inspectPod } from './inspect.js';
import { locatePods } from './locate.js';
import type { PodAppMeta } from './pod-files.js';
import type { PodUuid } from './uuid.js';

/** Options of {@link listPods}. */
export interface ListPodsOptions {
  /** State directories to list (default: all). */
  readonly dirs?: readonly StateDir[];
}

/** A pod that could not be read. */
export interface PodListError {
  readonly uuid: PodUuid;
  readonly error: unknown;
}

/** The result of {@link listPods}: pods in directory then UUID order, and per-pod errors. */
export interface PodListing {
  readonly pods: readonly PodInfo[];
  readonly errors: readonly PodListError[];
}

/** Snapshot every pod in `options.dirs`. Pods that vanish while being read are left out. */
export async function listPods(store: PodStore, options: ListPodsOptions = {}): Promise<PodListing> {
  const dirs = options.dirs ?? STATE_DIRS;
  const pods: PodInfo[] = [];
  const errors: PodListError[] = [];
  for (const location of await locatePods(store, dirs)) {
    try {
      // A pod that moved on while we read is read again where it went (if that is listed).
      const info = (await inspectAt(location)) ?? (await inspectPod(store, location.uuid));
      if (info !== undefined && dirs.includes(info.dir)) pods.push(info);
    } catch (error) {
      errors.push({ uuid: location.uuid, error });
    }
  }
  return { pods, errors };
}

/** IMAGE NAME as rkt showed it: `name:version` when the image has a version label. */
export function appImageLabel(app: PodAppMeta): string {
  return app.imageVersion === undefined ? app.imageName : `${app.imageName}:${app.imageVersion}`;
}
