/**
 * @module host/cgroup-tree — the cgroups a private systemd lives in.
 *
 * Before `unshare --cgroup`, the launcher moves itself into a cgroup named after the instance in
 * every hierarchy, so the instance's cgroup namespace is rooted there. v2: directly below the
 * cgroup2 root. v1 (hybrid mode): below the caller's own cgroup of that hierarchy (tests: this
 * VM's sandbox puts the runner's memory cgroup below a per-session node, and the instance should
 * go with the runner) or below the hierarchy's root (the host mode: the daemon outlives the shell
 * that started it). Removal is depth-first.
 */
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, failedPrecondition, internalError } from '../util/index.js';
import { sleep } from './proc.js';

/** The only place cgroup hierarchies are looked for. */
export const CGROUP_MOUNT_ROOT = '/sys/fs/cgroup';

/** One mounted cgroup hierarchy. */
export interface Hierarchy {
  /** 'cgroup2' for the unified hierarchy, 'cgroup' for a v1 one. */
  readonly fsType: 'cgroup' | 'cgroup2';
  readonly mountPoint: string;
  /** v1: its controllers and `name=` labels (e.g. ['cpu', 'cpuacct'], ['name=systemd']); v2: []. */
  readonly controllers: readonly string[];
  /** This process's cgroup in that hierarchy, e.g. '/' or '/process_api/88f6…'. */
  readonly ownPath: string;
}

/** One cgroup dir of an instance, as recorded in instance.json. */
export interface CgroupDir {
  readonly fsType: 'cgroup' | 'cgroup2';
  readonly mountPoint: string;
  readonly controllers: readonly string[];
  readonly path: string;
}

async function knownControllers(): Promise<Set<string>> {
  const text = await readFile('/proc/cgroups', 'utf8');
  const names = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.split(/\s+/)[0] ?? '');
  return new Set(names.filter((name) => name !== ''));
}

/** The cgroup hierarchies mounted under /sys/fs/cgroup, with this process's place in each. */
export async function listHierarchies(): Promise<Hierarchy[]> {
  const [mountinfo, selfCgroup, known] = await Promise.all([
    readFile('/proc/self/mountinfo', 'utf8'),
    readFile('/proc/self/cgroup', 'utf8'),
    knownControllers(),
  ]);
  const own = new Map<string, string>();
  for (const line of selfCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) own.set(match[1].split(',').sort().join(','), match[2]);
  }
  const result: Hierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const mountPoint = left.split(' ')[4] ?? '';
    const [fsType, , superOpts = ''] = right.split(' ');
    if (mountPoint !== CGROUP_MOUNT_ROOT && !mountPoint.startsWith(`${CGROUP_MOUNT_ROOT}/`)) continue;
    if (fsType === 'cgroup2') {
      result.push({ fsType, mountPoint, controllers: [], ownPath: own.get('') ?? '/' });
    } else if (fsType === 'cgroup') {
      const controllers = superOpts.split(',').filter((opt) => known.has(opt) || opt.startsWith('name='));
      const ownPath = own.get([...controllers].sort().join(','));
      if (ownPath === undefined) throw internalError('ERR_HOST_CGROUP_UNKNOWN', `no /proc/self/cgroup line for cgroup mount ${mountPoint}`);
      result.push({ fsType, mountPoint, controllers, ownPath });
    }
  }
  return result;
}

/** True on a pure cgroup-v2 host (/sys/fs/cgroup itself is cgroup2). */
export function isPureV2(hierarchies: readonly Hierarchy[]): boolean {
  return hierarchies.some((h) => h.fsType === 'cgroup2' && h.mountPoint === CGROUP_MOUNT_ROOT);
}

/** The unified hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified). */
export function unifiedHierarchy(hierarchies: readonly Hierarchy[]): Hierarchy {
  const v2 = hierarchies.find((h) => h.fsType === 'cgroup2');
  if (v2 === undefined) {
    throw failedPrecondition('ERR_HOST_NO_CGROUP2', 'no cgroup2 hierarchy is mounted under /sys/fs/cgroup (systemd needs one, as /sys/fs/cgroup or /sys/fs/cgroup/unified)', {
      hint: 'mount it: mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified',
    });
  }
  return v2;
}

/**
 * Creates the cgroup `name` in the unified hierarchy and, when `withV1`, in every v1 hierarchy.
 * On failure removes what it made and rethrows.
 */
export async function createInstanceCgroups(
  name: string,
  hierarchies: readonly Hierarchy[],
  withV1: boolean,
  v1Parent: 'own' | 'root' = 'own',
): Promise<CgroupDir[]> {
  const made: CgroupDir[] = [];
  try {
    const v2 = unifiedHierarchy(hierarchies);
    made.push(await makeOne(v2, join(v2.mountPoint, name)));
    if (withV1) {
      for (const h of hierarchies.filter((x) => x.fsType === 'cgroup')) {
        made.push(await makeOne(h, join(h.mountPoint, v1Parent === 'own' ? h.ownPath : '/', name)));
      }
    }
    return made;
  } catch (error) {
    for (const dir of made.reverse()) await removeCgroupTree(dir.path);
    throw error;
  }
}

async function makeOne(h: Hierarchy, path: string): Promise<CgroupDir> {
  await mkdir(path);
  const dir: CgroupDir = { fsType: h.fsType, mountPoint: h.mountPoint, controllers: h.controllers, path };
  if (h.controllers.includes('cpuset')) {
    // A v1 cpuset cgroup accepts no task until it has cpus and mems; inherit the parent's.
    const parent = join(path, '..');
    for (const file of ['cpuset.cpus', 'cpuset.mems']) await writeFile(join(path, file), await readFile(join(parent, file)));
  }
  return dir;
}

/** Subdirectories of a cgroup dir ([] when it is gone). */
async function childCgroups(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => join(path, e.name));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/** Host PIDs in the cgroup at `path` and all its descendants ([] when it is gone). */
export async function cgroupProcsRecursive(path: string): Promise<number[]> {
  let text: string;
  try {
    text = await readFile(join(path, 'cgroup.procs'), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const pids = text.split('\n').filter((l) => l !== '').map(Number);
  for (const child of await childCgroups(path)) pids.push(...(await cgroupProcsRecursive(child)));
  return pids;
}

/**
 * rmdir's the cgroup at `path` depth-first. Retries EBUSY for up to `timeoutMs`, because a
 * killed task leaves its cgroup a moment after it is reaped. True when it is gone.
 */
export async function removeCgroupTree(path: string, timeoutMs = 3_000): Promise<boolean> {
  for (const child of await childCgroups(path)) await removeCgroupTree(child, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await rmdir(path);
      return true;
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY' || Date.now() >= deadline) {
        if (code === 'EBUSY') return false;
        throw error;
      }
    }
    await sleep(10);
  }
}

/**
 * Kills every process in the v2 cgroup subtree at `path` through `cgroup.kill` (kernel ≥ 5.14).
 * Only for cgroups the harness created and named; false when the kernel lacks cgroup.kill.
 */
export async function killCgroup(path: string): Promise<boolean> {
  try {
    await writeFile(join(path, 'cgroup.kill'), '1');
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Every directory named like `match` accepts, in every hierarchy, down to `maxDepth` levels
 * below the mount point. Does not descend into matches.
 */
export async function findNamedCgroups(
  match: (name: string) => boolean,
  maxDepth = 4,
): Promise<Array<{ path: string; fsType: 'cgroup' | 'cgroup2' }>> {
  const found: Array<{ path: string; fsType: 'cgroup' | 'cgroup2' }> = [];
  const walk = async (dir: string, fsType: 'cgroup' | 'cgroup2', depth: number): Promise<void> => {
    for (const child of await childCgroups(dir)) {
      const base = child.slice(child.lastIndexOf('/') + 1);
      if (match(base)) found.push({ path: child, fsType });
      else if (depth < maxDepth) await walk(child, fsType, depth + 1);
    }
  };
  for (const h of await listHierarchies()) await walk(h.mountPoint, h.fsType, 1);
  return found;
}
