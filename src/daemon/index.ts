/**
 * @module daemon — the reconciler that keeps the pod directory's pods running as transient
 * systemd units (DESIGN.md §1, §3, §6; docs/ARCHITECTURE.md §10). Reaches pods only through
 * units and the runtime core; never runs a pod's processes itself.
 *
 * Parts: pod-dir (which names are pod files, safe reading), source (file cache, watcher),
 * machine-labels, admission (verdict per file), actual (units → pods), planner (what to do per
 * pod; shared with `rocklet plan`), actuator (prepare, start, stop over D-Bus), reconciler
 * (work queue, back-off, status), status (the status file), daemon (lifecycle).
 */
export { Daemon, statusWriteDelay } from './daemon.js';
export { lockDaemon, DAEMON_LOCK_FILE } from './daemon-lock.js';
export type { DaemonOptions } from './daemon.js';
export type { DaemonLog, LogFields } from './log.js';
export { loadDaemonSettings, DEFAULT_POD_DIR, DEFAULT_RUN_DIR, DEFAULT_RESYNC_MS, DEFAULT_DEBOUNCE_MS } from './settings.js';
export type { DaemonSettings, DaemonOverrides } from './settings.js';
export { classifyEntry, readDaemonPodFile, unsafeFileReason, summarizeErrors } from './pod-dir.js';
export type { PodFileKey, EntryKind, ReadPodFile } from './pod-dir.js';
export { loadMachineLabels, parseMachineFile, builtinLabels, goArch, MACHINE_FILE_NAME } from './machine-labels.js';
export type { MachineLabels, LoadMachineLabelsOptions } from './machine-labels.js';
export { admit, hostPortsOf, sameVerdict } from './admission.js';
export type { Candidate, FileVerdict, PodOwner } from './admission.js';
export { readActualPods, readActualPod, podOfUnitName, isUnitUp, POD_FILE_ENV } from './actual.js';
export type { ActualPod } from './actual.js';
export { decidePod, specChanges, changesSomething } from './planner.js';
export type { PodAction } from './planner.js';
export { PodFileCache } from './source.js';
export { AppliedRecords } from './applied.js';
export type { AppliedPod } from './applied.js';
export { KeyedQueue } from './queue.js';
export { POD_FILE_STATES, STATUS_FILE, readStatusFile, stateFromUnits } from './status.js';
export type { PodFileState, PodFileStatus, StatusFile, DaemonInfo } from './status.js';
export { computePlan } from './plan.js';
export type { PlanEntry, PlanResult } from './plan.js';
export { GarbageCollector, loadGcSettings, usedPercent, DEFAULT_GC_SETTINGS } from './gc.js';
export type { GcSettings, GarbageCollectorOptions } from './gc.js';
export { checkBundle, jointSelector } from './bundle.js';
export type { BundleConflict, BundleFile, BundleReport } from './bundle.js';
export { writeStatusFile } from './status.js';
