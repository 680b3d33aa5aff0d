/**
 * @module harness/leftovers — prove that a stopped test systemd left nothing behind.
 *
 * Take a {@link snapshotInstance} while it runs (the identities of every process in its cgroup
 * tree and every cgroup dir named after it), stop it, then {@link instanceLeftovers} lists
 * whatever is still there: live processes, cgroup dirs, host mounts, the instance dir.
 */
import { access, readFile } from 'node:fs/promises';
import { cgroupProcsRecursive, findNamedCgroups } from './cgroup.js';
import type { ProcessIdentity } from './proc.js';
import { errnoCode, identify, isAlive } from './proc.js';
import type { TestSystemd } from './testsd-instance.js';

/** What a running instance consists of, as seen from the host. */
export interface InstanceSnapshot {
  readonly name: string;
  readonly dir: string;
  readonly processes: readonly ProcessIdentity[];
  readonly cgroups: readonly string[];
}

/** Records the instance's processes (systemd and everything in its cgroups) and cgroup dirs. */
export async function snapshotInstance(sd: TestSystemd): Promise<InstanceSnapshot> {
  const cgroups = (await findNamedCgroups((base) => base === sd.name)).map((cg) => cg.path);
  const pids = new Set<number>([sd.pid]);
  for (const path of cgroups) for (const pid of await cgroupProcsRecursive(path)) pids.add(pid);
  const processes: ProcessIdentity[] = [];
  for (const pid of pids) {
    const id = await identify(pid);
    if (id !== undefined) processes.push(id);
  }
  return { name: sd.name, dir: sd.dir, processes, cgroups };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Everything of the snapshot that still exists; [] when the instance is completely gone. */
export async function instanceLeftovers(snap: InstanceSnapshot): Promise<string[]> {
  const left: string[] = [];
  for (const id of snap.processes) if (await isAlive(id)) left.push(`process ${id.pid}`);
  for (const path of snap.cgroups) if (await exists(path)) left.push(`cgroup ${path}`);
  for (const cg of await findNamedCgroups((base) => base === snap.name)) left.push(`cgroup ${cg.path}`);
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) if (line.includes(snap.name)) left.push(`mount ${line}`);
  if (await exists(snap.dir)) left.push(`dir ${snap.dir}`);
  return [...new Set(left)];
}
