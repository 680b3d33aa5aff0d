/**
 * @module pod/stage1/container-cgroups — the cgroups a running container's init is in, as the
 * `cgroup.procs` files an exec probe's `crun exec` writes itself into before it starts.
 *
 * crun runs containers with `--cgroup-manager=disabled` under units, so `crun exec` does not move
 * what it starts anywhere: a probe's command would run in the caller's cgroup (the daemon's
 * rocklet.service), outside the container's limits, invisible in `systemctl status` of the app
 * and left running by a stop. kubelet's exec probes run in the container's cgroup; so do these.
 * The container's cgroups are read from `/proc/<init>/cgroup` (its init's PID from crun's status
 * file), each hierarchy mapped to where this process has it mounted (mountinfo: mount point and
 * root, both shown relative to this process's cgroup namespace, as /proc/PID/cgroup is).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../../util/index.js';
import { V1_CONTROLLERS } from './cgroup-controllers.js';
import { unescapeMountPath } from './mounts.js';

/** Where one hierarchy is mounted, and which of its cgroups the mount shows at its top. */
export interface HierarchyMount {
  readonly mountPoint: string;
  /** The mount's root within the hierarchy (`/` unless a sub-cgroup is mounted, as in a container). */
  readonly root: string;
}

/** Hierarchy (as /proc/PID/cgroup names it: `''` for cgroup2, `memory`, `cpu,cpuacct`, `name=systemd`) → its mount. */
export type HierarchyMounts = ReadonlyMap<string, HierarchyMount>;

/** The cgroup mounts of a mountinfo text, by hierarchy (the first mount of each; pure). */
export function parseHierarchyMounts(mountinfo: string): HierarchyMounts {
  const mounts = new Map<string, HierarchyMount>();
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    const fields = before.split(' ');
    const [fsType, , superOptions = ''] = after.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const options = superOptions.split(',');
    const controllers = options.filter((o) => V1_CONTROLLERS.has(o));
    const key = fsType === 'cgroup2' ? '' : controllers.length > 0 ? controllers.join(',') : options.find((o) => o.startsWith('name=')) ?? '';
    if (fsType === 'cgroup' && key === '') continue;
    if (!mounts.has(key)) mounts.set(key, { root: unescapeMountPath(fields[3] ?? '/'), mountPoint: unescapeMountPath(fields[4] ?? '') });
  }
  return mounts;
}

// The cgroup mounts of a process do not change while it runs: read once.
let hierarchyMounts: Promise<HierarchyMounts> | undefined;

/** The PID of container `containerId`'s init from crun's status file; undefined when it is gone. */
async function containerPid(crunRoot: string, containerId: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(crunRoot, containerId, 'status'), 'utf8');
  } catch (error) {
    // No such container (stopped, deleted): crun exec will say so itself.
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const pid = (JSON.parse(text) as { pid?: unknown }).pid;
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The `cgroup.procs` files of the cgroups `/proc/<pid>/cgroup` lists (pure). A hierarchy that is
 * not mounted, or whose mount shows only a part of it that the cgroup is not in, is left out.
 */
export function cgroupProcsFiles(procCgroup: string, mounts: HierarchyMounts): string[] {
  const files: string[] = [];
  for (const line of procCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (match === null) continue;
    const mount = mounts.get(match[1] ?? '');
    if (mount === undefined) continue;
    const relative = path.posix.relative(mount.root, match[2] ?? '/');
    if (relative.startsWith('..')) continue;
    files.push(path.join(mount.mountPoint, relative, 'cgroup.procs'));
  }
  return files;
}

/** The cgroup.procs files of running container `containerId`, or [] when it is not running. */
export async function containerCgroupProcs(crunRoot: string, containerId: string): Promise<string[]> {
  const pid = await containerPid(crunRoot, containerId);
  if (pid === undefined) return [];
  let procCgroup: string;
  try {
    procCgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch (error) {
    // The init exited since crun wrote its status: crun exec will report the container stopped.
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ESRCH') return [];
    throw error;
  }
  hierarchyMounts ??= readFile('/proc/self/mountinfo', 'utf8').then(parseHierarchyMounts);
  return cgroupProcsFiles(procCgroup, await hierarchyMounts);
}

/**
 * {@link containerCgroupProcs} for one container run, read once: its cgroups do not change while
 * it runs (a unit's restart is a new run, with a new target). An empty answer (not started yet,
 * or gone) is not kept.
 */
export function cachedCgroupProcs(crunRoot: string, containerId: string): () => Promise<readonly string[]> {
  let known: readonly string[] | undefined;
  return async () => {
    if (known !== undefined) return known;
    const files = await containerCgroupProcs(crunRoot, containerId);
    if (files.length > 0) known = files;
    return files;
  };
}
