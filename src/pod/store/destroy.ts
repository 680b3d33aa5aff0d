/**
 * @module pod/store/destroy — the end of every pod (gc sweep and `rm`): with the pod's lock held,
 * move it to `garbage/` (if it is not there yet), let the runtime release what lives outside
 * the directory (`beforeDelete`: mounts, netns, IP lease, nft rules, crun state), then delete
 * the directory (delete.ts).
 *
 * Moving first means a failure or crash anywhere after it leaves a `garbage` pod, which the
 * next gc retries at once, with no second grace period; `beforeDelete` must therefore be
 * idempotent and tolerate resources that are already gone (after a reboot, most are).
 */
import { deletePodDir } from './delete.js';
import type { PodStore, StateDir } from './layout.js';
import { movePod, podPath } from './layout.js';
import type { PodLock } from './pod-lock.js';
import type { PodState } from './states.js';
import type { PodUuid } from './uuid.js';

/** What the `beforeDelete` hook is told about the pod it may clean up after. */
export interface PodToDelete {
  readonly uuid: PodUuid;
  /** The pod directory, now in `garbage/`; its files (netns, net-info.json …) are still there. */
  readonly path: string;
  /** The state the pod was in when gc or rm took it. */
  readonly previousState: PodState;
}

/** Releases a pod's resources outside its directory. Called with the pod's lock held. */
export type BeforeDelete = (pod: PodToDelete) => Promise<void>;

/**
 * Move the pod `uuid` from `from` to `garbage/`, run `beforeDelete`, delete it. The caller took
 * `lock` (undefined: the directory has no lock file); it is released here in every case.
 * Returns whether this call removed the pod's directory ({@link deletePodDir}).
 */
export async function destroyPod(
  store: PodStore,
  uuid: PodUuid,
  from: StateDir,
  lock: PodLock | undefined,
  previousState: PodState,
  beforeDelete: BeforeDelete | undefined,
): Promise<boolean> {
  try {
    const target = podPath(store, 'garbage', uuid);
    if (from !== 'garbage') await movePod(store, uuid, from, 'garbage');
    await beforeDelete?.({ uuid, path: target, previousState });
    return await deletePodDir(target);
  } finally {
    await lock?.release();
  }
}
