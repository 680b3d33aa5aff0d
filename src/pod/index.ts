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
export { locatePod, locatePods, podsIn } from './store/locate.js';
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

// Stage1: OCI bundles, the crun executor, app rootfs and volumes (src/pod/stage1/, see its README.md).
export { CURRENT_MOUNT_NAMESPACE, mountNamespaceOf, nsPath } from './stage1/mount-namespace.js';
export type { MountNamespace } from './stage1/mount-namespace.js';
export type {
  NamespaceChoice, Stage1Namespaces, Stage1Identity, Stage1Mount, Stage1Resources, Stage1EnvVar, Stage1App,
} from './stage1/app.js';
export { OCI_VERSION, OCI_NAMESPACE_TYPES, SECCOMP_ACTIONS } from './stage1/oci-spec.js';
export type {
  OciSpec, OciProcess, OciUser, OciCapabilities, OciRoot, OciMount, OciNamespace, OciNamespaceType, OciLinux, OciResources,
  OciSeccomp, OciSyscallRule, SeccompAction,
} from './stage1/oci-spec.js';
export { DEFAULT_PATH, SYSTEM_MOUNTS, MASKED_PATHS, READONLY_PATHS } from './stage1/oci-defaults.js';
export { DEFAULT_BLOCKLIST, RUNTIME_SYSCALLS, seccompProfile, defaultBlockedSyscalls, seccompArchitectures } from './stage1/seccomp.js';
export { buildOciConfig, cpuQuota, isCleanAbsolutePath } from './stage1/oci-config.js';
export { assertLimitControllers, availableControllers, missingControllerError } from './stage1/cgroup-controllers.js';
export { BUNDLE_CONFIG, writeBundle, readBundle } from './stage1/bundle.js';
export { parsePasswd, parseGroup } from './stage1/passwd.js';
export type { PasswdEntry, GroupEntry } from './stage1/passwd.js';
export { parseIdentityRef, resolveIdentity } from './stage1/identity.js';
export type { IdentityRequest, ResolvedIdentity } from './stage1/identity.js';
export { resolveInRoot, ensureMountTarget, readFileInRoot, hostPathOf } from './stage1/safe-path.js';
export type { RootfsPath, MountTargetKind } from './stage1/safe-path.js';
export { listMountPoints, isMountPoint, mountOverlay, mountTmpfs, unmount } from './stage1/mounts.js';
export type { OverlayOptions, TmpfsOptions } from './stage1/mounts.js';
export { APPS_DIR, appDirs, checkAppName, mountAppRootfs, unmountAppRootfs, removeAppDir } from './stage1/rootfs.js';
export type { AppDirs, MountAppRootfsOptions } from './stage1/rootfs.js';
export { VOLUMES_DIR, volumeDir, prepareVolume, releaseVolume, prepareVolumeMounts } from './stage1/volumes.js';
export type { PreparedVolume, VolumeMountRequest } from './stage1/volumes.js';
export { findExecutable } from './stage1/exec-check.js';
export type { ExecutableQuery } from './stage1/exec-check.js';
export { prepareApp, podNamespaces } from './stage1/prepare-app.js';
export type { PrepareAppOptions, PreparedApp, PodFileMount } from './stage1/prepare-app.js';
export { runCommand, describeExit } from './stage1/command.js';
export type { CommandResult, CommandStdio, RunCommandOptions } from './stage1/command.js';
export { CGROUP_MANAGERS, containerIdFor, checkContainerId, signalNumber } from './stage1/crun-argv.js';
export type { CgroupManager, BundleFlags, ExecProcess } from './stage1/crun-argv.js';
export { CrunError } from './stage1/crun-error.js';
export { CONTAINER_STATUSES, parseContainerState, parseContainerList } from './stage1/crun-state.js';
export type { ContainerStatus, ContainerState } from './stage1/crun-state.js';
export { CrunRuntime, DEFAULT_CRUN_ROOT, DEFAULT_CRUN_LOG_DIR } from './stage1/crun.js';
export type { CrunRuntimeOptions, ContainerExit, StartOptions, ExecOptions, KillResult } from './stage1/crun.js';
export { STAGE1_FLAVORS, CrunExecutor } from './stage1/executor.js';
export type { Stage1Flavor, Stage1Executor, ExecutableApp, ExecutorRunOptions } from './stage1/executor.js';
export { FLY_HOST_MOUNTS, FlyExecutor, flyArgv } from './stage1/fly.js';
export type { FlyTools } from './stage1/fly.js';

// runtime: store commands (list/status/rm/gc/export; image gc's pod references).
export { podReferences, plannedTrees } from './runtime/image-refs.js';
export type { PodReferences } from './runtime/image-refs.js';
export { podCollector, unmountPodLeftovers } from './runtime/collect.js';
export type { ReleasePodResources } from './runtime/collect.js';
export { exportPodApp } from './runtime/export.js';
export type { ExportAppOptions, ExportedApp } from './runtime/export.js';
// end runtime: store commands

// runtime: planning (run/prepare requests, PodPlan, prepare, cat-manifest).
export type {
  NetRequest, EnvPair, VolumeRequest, MountRequest, PortRequest, AppRequest, DnsRequest, HostsRequest, PodOptions, PodSource, RunRequest,
} from './runtime/request.js';
export { POD_PLAN_VERSION, POD_PLAN_FILE } from './runtime/plan.js';
export type {
  PlannedImage, PlannedPort, PlannedMount, PlannedResources, PlannedRestart, PlannedApp, PlannedVolume, PodPlan,
} from './runtime/plan.js';
export type { RuntimeEvent, RuntimeContext } from './runtime/context.js';
export { mergeEnvironment, envPairsOf } from './runtime/env.js';
export type { EnvironmentLayers } from './runtime/env.js';
export { defaultAppName, capabilitySet, containerResources, imageIsolators } from './runtime/plan-common.js';
export type { ResolvedImage, ImageIsolators } from './runtime/plan-common.js';
export { DEFAULT_STOP_TIMEOUT_SECONDS, planFromImages, checkHostSources } from './runtime/plan-images.js';
export type { ImagePlanOptions } from './runtime/plan-images.js';
export type { PodSpecPlanOptions } from './runtime/plan-podspec.js';
export { writePodPlan, readPodPlan, appcPodManifest, appcPodManifestObject } from './runtime/plan-file.js';
export { preparePod } from './runtime/prepare.js';
export type { PlanningContext, PrepareOptions, PreparedPod } from './runtime/prepare.js';
// end runtime: planning

// runtime: execution (pod up/down, app prepare/cleanup, standalone run, stop, enter, units).
export { DEFAULT_POD_NS_DIR, EXEC_FILES, loadPlan, findPod, planApp, treeRootfs, nsFiles, containerId } from './runtime/pod-ref.js';
export type { PodRef } from './runtime/pod-ref.js';
export {
  SUPERVISOR_FILE, podUp, podDown, setUpSandbox, plannedPortForwards, podHostname, networkModeOf, readSupervisor,
} from './runtime/sandbox.js';
export type { Sandbox, SupervisorKind, PodUpResult, PodDownResult } from './runtime/sandbox.js';
export { releasePodResources, deletePodContainers, unmountUnder } from './runtime/release.js';
export { appPrepare, appCleanup, exitCodeOf, stage1Resources } from './runtime/app-unit.js';
export type { AppPrepareOptions, AppPrepared, AppEnd, AppCleanedUp } from './runtime/app-unit.js';
export { runPreparedPod, podExitCode } from './runtime/supervise.js';
export { LOGS_DIR, DEFAULT_LOG_MAX_BYTES, MAX_RECORD_CONTENT, appLogPaths, formatUsec, nowUsec, encodeRecord, decodeRecord } from './logs/format.js';
export type { LogRecord, LogStream } from './logs/format.js';
export { AppLogWriter, teeStream } from './logs/writer.js';
export type { AppOutputForward } from './logs/writer.js';
export { readAppLog } from './logs/reader.js';
export type { ReadAppLogOptions } from './logs/reader.js';
export type { RunPreparedOptions, AppResult, PodRunResult } from './runtime/supervise.js';
export { stopPod } from './runtime/stop.js';
export type { StopPodOptions, StopOutcome } from './runtime/stop.js';
export { DEFAULT_ENTER_COMMAND, enterPod } from './runtime/enter.js';
export type { EnterOptions } from './runtime/enter.js';
export { podUnits, podUnitNames, parsePodUnitDescription, appStartedMarker, APP_LOG_FIELDS, CALLER_STOP_MARKER } from './runtime/unit-plan.js';
export type { PodUnitIdentity } from './runtime/unit-plan.js';
export { upForUnits } from './runtime/unit-start.js';
export type { UpForUnits } from './runtime/unit-start.js';
export type { PodUnitsInput, PodUnits, PlannedUnit, PlannedAppUnit, PodUnitProperties, UnitExecCommand, UnitRestart } from './runtime/unit-plan.js';
// end runtime: execution
import type * as PodFilePreparerModule from './runtime/prepare-pod-file.js';
// runtime: pod files, loaded on demand (a static re-export would put the podfile layer and its
// YAML parser into every importer's bundle graph, `rocklet run IMAGE` included).
/** The pod-file preparer (`preparePodSpec`, `preparePodFile`, `loadPodSpec`), loaded on first use. */
export function loadPodFilePreparer(): Promise<PodFilePreparer> {
  return import('./runtime/prepare-pod-file.js');
}
export type { PodFilePrepareOptions } from './runtime/prepare-pod-file.js';
type PodFilePreparer = typeof PodFilePreparerModule;
export { rockletStatePaths } from './runtime/protected-paths.js';
export type { RockletStateDirs } from './runtime/protected-paths.js';
export { loadSeccompProfiles, seccompProfileDir } from './runtime/seccomp-profiles.js';
export { parseSeccompProfile } from './stage1/seccomp-profile-file.js';
export { CRITICAL_OOM_SCORE_ADJ, containerOomScoreAdj, qosClass } from './runtime/oom-score.js';
export { ContainerProbeState } from './probe/probe-state.js';
export type { ProbeResult, ProbeTransition, ProbeSummary } from './probe/probe-state.js';
export { ContainerProber, REAL_CLOCK } from './probe/prober.js';
export type { ProbeRunner, ProberClock, ProberHooks, ProberOptions, ProbeOffload } from './probe/prober.js';
export { engineOffload, renderHttpRequest } from './probe/native-probes.js';
export { runProbeAction } from './probe/actions.js';
export type { ProbeTarget } from './probe/actions.js';
export { podProbeSite } from './probe/target.js';
export type { PodProbeSite } from './probe/target.js';
export { runAppHook, HOOK_NAMES } from './probe/hooks.js';
