/**
 * @module host — rocklet's own systemd where the machine has none as PID 1: a private systemd in
 * its own PID, mount, UTS, IPC and cgroup namespaces (boot.ts, instance.ts) that runs
 * rocklet.service (host-mode.ts). The test suite boots the same instances for its e2e tests.
 * Imports only util.
 */
export { bootPrivateSystemd, resolveCgroupMode, systemState } from './boot.js';
export type { BootOptions } from './boot.js';
export { PrivateSystemdInstance, SIGRTMIN_PLUS_4 } from './instance.js';
export type { PrivateSystemd } from './instance.js';
export type { CgroupMode, ExtraUnits } from './instance-files.js';
export { systemdLibDir } from './instance-files.js';
export {
  CGROUP_MOUNT_ROOT, listHierarchies, isPureV2, unifiedHierarchy, createInstanceCgroups, cgroupProcsRecursive,
  removeCgroupTree, killCgroup, findNamedCgroups,
} from './cgroup-tree.js';
export type { Hierarchy, CgroupDir } from './cgroup-tree.js';
export { execCommand, execChecked } from './exec.js';
export type { ExecResult } from './exec.js';
export { identify, isAlive } from './proc.js';
export type { ProcessIdentity } from './proc.js';
export {
  DEFAULT_HOST_DIR, DEFAULT_HOST_NAME, HOST_CONTAINER, HOST_STOP_GRACE_MS, hostLocation, underSystemd, findHost, hostBusAddress,
  hostStatus, startHost, stopHost,
} from './host-mode.js';
export type { HostLocation, FoundHost, HostStatus, StartHostOptions } from './host-mode.js';
export { rockletServiceUnit, ROCKLET_SERVICE_SETTINGS } from './rocklet-unit.js';
