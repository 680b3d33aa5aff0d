/** @module harness/cgroup — the cgroups of a private systemd (src/host/cgroup-tree.ts), for tests. */
export {
  CGROUP_MOUNT_ROOT, listHierarchies, isPureV2, unifiedHierarchy, createInstanceCgroups, cgroupProcsRecursive,
  removeCgroupTree, killCgroup, findNamedCgroups,
} from '../../src/host/cgroup-tree.js';
export type { Hierarchy, CgroupDir } from '../../src/host/cgroup-tree.js';
