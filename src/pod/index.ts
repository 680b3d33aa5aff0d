/**
 * @module pod — the runtime core: the pod store (state dirs, locks, UUIDs), prepare, run, stop,
 * enter, gc, export; stage1 executors. See DESIGN.md §1 (6), §3, §4 and rkt.md §2.
 */

// Pod store: rkt's on-disk pod state machine (src/pod/store/).
export {
  SHORT_UUID_LENGTH, isPodUuid, newPodUuid, parsePodUuid, parseUuidPrefix, bareUuid, shortUuid, readUuidFile,
  writeUuidFile,
} from './store/uuid.js';
export type { PodUuid } from './store/uuid.js';
export { STATE_DIRS, RESOLVABLE_DIRS, POD_FILES, podStore, podPath, stateDirPath, ensureStateDirs } from './store/layout.js';
export type { PodStore, StateDir } from './store/layout.js';
export { POD_STATES, stateOf, isExitedState, isFinalState } from './store/states.js';
export type { PodState, LockStatus } from './store/states.js';
export { probePodLock } from './store/pod-lock.js';
export type { PodLock } from './store/pod-lock.js';
export { locatePod, locatePods } from './store/locate.js';
export type { PodLocation } from './store/locate.js';
export { resolvePodUuid } from './store/resolve.js';
export { podStateAt, describeState } from './store/probe.js';
export { LockedPod, createPod, markPrepared, markRunning, lockPreparedPod, markExited } from './store/transitions.js';
export { POD_LOCK_FD, spawnLockHolder } from './store/handoff.js';
export type { LockHolderOptions } from './store/handoff.js';
export {
  writePodManifest, readPodManifest, readPodMeta, readCreated, writePodPid, readPodPid,
} from './store/pod-files.js';
export type { PodMeta, PodAppMeta } from './store/pod-files.js';
export { recordAppExit, readAppExit, readAppExits } from './store/app-exits.js';
export type { AppExit } from './store/app-exits.js';
export { writeNetInfo, readNetInfo, formatNetworks, writeNetnsPath, readNetnsPath } from './store/net-info.js';
export type { PodNetworkInfo } from './store/net-info.js';
export { inspectPod } from './store/inspect.js';
export type { PodInfo } from './store/inspect.js';
export { listPods, appImageLabel } from './store/list.js';
export type { ListPodsOptions, PodListing, PodListError } from './store/list.js';
export { WAIT_POLL_MS, podStatus, statusEntries, waitForPodExit } from './store/status.js';
export type { WaitOptions } from './store/status.js';
export { deletePodDir, mountsUnder } from './store/delete.js';
export type { PodToDelete, BeforeDelete } from './store/destroy.js';
export {
  DEFAULT_GRACE_PERIOD_MS, DEFAULT_EXPIRE_PREPARED_MS, EMBRYO_EXPIRY_MS, gcPods, gcEventMessage,
} from './store/gc.js';
export type { GcEvent, GcOptions, GcResult } from './store/gc.js';
export { removePod } from './store/remove.js';
export type { RemoveOptions } from './store/remove.js';
