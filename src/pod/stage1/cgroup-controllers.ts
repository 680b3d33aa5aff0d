/**
 * @module pod/stage1/cgroup-controllers — can this machine enforce the limits a pod asks for?
 *
 * Neither systemd (MemoryMax=, CPUQuota=, TasksMax= on a unit) nor crun's cgroupfs manager
 * (`linux.resources`) fails when the controller a limit needs is missing: systemd logs that the
 * controller is unsupported and crun leaves the container in the root of the hierarchy it cannot
 * find. A pod that asked for 64 MiB would then run without any limit. Like kubelet (which refuses
 * to start with "missing cgroups") and podman, rocklet refuses such a pod instead, naming the
 * limit and the controller, before anything of the pod is set up.
 *
 * The controllers are read the way systemd and crun find them: on a cgroup2 root its
 * `cgroup.controllers`; on a tmpfs of v1 hierarchies every cgroup mount below it (its name lists
 * its controllers, e.g. `cpu,cpuacct`) plus the cgroup2 mount at `unified` (hybrid mode).
 */
import { readFile, readdir, statfs } from 'node:fs/promises';
import { errnoCode, failedPrecondition } from '../../util/index.js';
import type { MountNamespace } from './mount-namespace.js';
import { nsPath } from './mount-namespace.js';

/** statfs(2) f_type of a cgroup v1, a cgroup2 and a tmpfs mount. */
export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const TMPFS_MAGIC = 0x01021994;
const CGROUP_ROOT = '/sys/fs/cgroup';
/** cgroup v1 controllers (a hierarchy's dir is named after those it binds; `systemd` is none). */
export const V1_CONTROLLERS: ReadonlySet<string> = new Set([
  'blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'hugetlb', 'memory', 'misc', 'net_cls', 'net_prio', 'perf_event', 'pids', 'rdma',
]);

/** The resource limits of one app, in the shape both the unit plan and stage1 have. */
export interface LimitedApp {
  readonly name: string;
  readonly resources?: {
    readonly memoryBytes?: number;
    readonly cpuMillicores?: number;
    readonly cpuShares?: number;
    readonly pids?: number;
  };
}

/** The cgroup controller each limit is enforced by, with the limit's name for messages. */
export function limitControllers(app: LimitedApp): Array<{ readonly limit: string; readonly controller: string }> {
  const r = app.resources;
  if (r === undefined) return [];
  return [
    ...(r.memoryBytes === undefined ? [] : [{ limit: 'memory limit', controller: 'memory' }]),
    ...(r.cpuMillicores === undefined ? [] : [{ limit: 'CPU limit', controller: 'cpu' }]),
    ...(r.cpuShares === undefined ? [] : [{ limit: 'CPU shares', controller: 'cpu' }]),
    ...(r.pids === undefined ? [] : [{ limit: 'pids limit', controller: 'pids' }]),
  ];
}

/** The error for the first limit whose controller `available` lacks, or undefined (pure). */
export function missingControllerError(apps: readonly LimitedApp[], available: ReadonlySet<string>): Error | undefined {
  for (const app of apps) {
    for (const { limit, controller } of limitControllers(app)) {
      if (available.has(controller)) continue;
      const has = [...available].sort().join(', ') || 'none';
      return failedPrecondition(
        'ERR_CGROUP_CONTROLLER_MISSING',
        `app "${app.name}" asks for a ${limit}, but this machine's cgroup tree has no ${controller} controller (it has: ${has}), so the limit could not be enforced`,
        {
          hint: `enable the ${controller} controller (mount its cgroup v1 hierarchy under ${CGROUP_ROOT}, or on cgroup v2 add it to the parent cgroup's cgroup.subtree_control; some kernels need cgroup_enable=${controller} on their command line), or remove the limit from the pod`,
        },
      );
    }
  }
  return undefined;
}

/** The filesystem type (statfs f_type) at `path`; undefined when there is nothing there. */
export async function fsType(path: string): Promise<number | undefined> {
  try {
    return (await statfs(path)).type;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

async function v2Controllers(dir: string): Promise<string[]> {
  const text = await readFile(`${dir}/cgroup.controllers`, 'utf8');
  return text.split(/\s+/).filter((c) => c !== '');
}

/** The controllers a container's cgroup can use in mount namespace `ns`. */
export async function availableControllers(ns: MountNamespace): Promise<ReadonlySet<string>> {
  const root = nsPath(ns, CGROUP_ROOT);
  const type = await fsType(root);
  if (type === CGROUP2_SUPER_MAGIC) return new Set(await v2Controllers(root));
  if (type !== TMPFS_MAGIC) return new Set();
  const found = new Set<string>();
  for (const entry of await readdir(root, { withFileTypes: true })) {
    // Symlinks (cpu → cpu,cpuacct) name a hierarchy that is listed under its own name too.
    if (!entry.isDirectory()) continue;
    const dir = `${root}/${entry.name}`;
    const entryType = await fsType(dir);
    if (entryType === CGROUP2_SUPER_MAGIC) for (const c of await v2Controllers(dir)) found.add(c);
    else if (entryType === CGROUP_SUPER_MAGIC) for (const c of entry.name.split(',')) if (V1_CONTROLLERS.has(c)) found.add(c);
  }
  return found;
}

/**
 * Refuses apps whose limits this machine cannot enforce (see the module doc). Reads the cgroup
 * tree only when some app has a limit.
 */
export async function assertLimitControllers(ns: MountNamespace, apps: readonly LimitedApp[]): Promise<void> {
  if (!apps.some((app) => limitControllers(app).length > 0)) return;
  const error = missingControllerError(apps, await availableControllers(ns));
  if (error !== undefined) throw error;
}
