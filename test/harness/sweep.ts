/**
 * @module harness/sweep — remove what crashed test runners left behind.
 *
 * Touches only resources whose name carries a harness prefix (names.ts) AND whose owning runner
 * PID is dead: instance dirs (and the processes and cgroups their instance.json records),
 * `testsd-rl-*` cgroups in every hierarchy, `rltest-*` network namespaces and `rltest-*` temp
 * dirs (killing a recorded registry process or the gpg-agent of a GNUPGHOME first). Resources of
 * live runners, including other test files running right now, are left alone.
 */
import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupProcsRecursive, findNamedCgroups, killCgroup, removeCgroupTree } from './cgroup.js';
import { execCommand } from './exec.js';
import { readRecord } from './instance-record.js';
import { INSTANCE_ROOT, TEMP_ROOT, ownerPid } from './names.js';
import type { ProcessIdentity } from './proc.js';
import { errnoCode, isAlive, pidExists, signalIdentity, waitForExit } from './proc.js';
import { killRecordedProcess } from './tmp.js';

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/** True when the runner that owns a resource is gone (its recorded identity when known). */
async function runnerDead(pid: number, recorded?: ProcessIdentity): Promise<boolean> {
  return recorded === undefined ? !(await pidExists(pid)) : !(await isAlive(recorded));
}

async function killIdentity(id: ProcessIdentity | undefined): Promise<void> {
  if (id !== undefined && (await signalIdentity(id, 'SIGKILL'))) await waitForExit(id, 5_000);
}

type FsType = 'cgroup' | 'cgroup2';

/** v2 first: killing there empties the v1 cgroups of the same processes. */
const v2First = (a: { fsType: FsType }, b: { fsType: FsType }): number =>
  Number(b.fsType === 'cgroup2') - Number(a.fsType === 'cgroup2');

async function removeCgroup(cg: { path: string; fsType: FsType }, removed: string[]): Promise<void> {
  // A harness cgroup of a dead runner: whatever a crash left inside it is ours to kill.
  if (cg.fsType === 'cgroup2' && (await cgroupProcsRecursive(cg.path)).length > 0) await killCgroup(cg.path);
  if (await removeCgroupTree(cg.path)) removed.push(`cgroup:${cg.path}`);
  else throw new Error(`stale cgroup ${cg.path} is still busy`);
}

async function sweepInstances(removed: string[]): Promise<void> {
  for (const name of await listDir(INSTANCE_ROOT)) {
    const owner = ownerPid('instance', name);
    if (owner === undefined) continue;
    const dir = join(INSTANCE_ROOT, name);
    const record = await readRecord(dir);
    if (!(await runnerDead(owner, record?.runner))) continue;
    // The parent-death signal normally got them already; this covers a crash mid-spawn.
    await killIdentity(record?.systemd);
    await killIdentity(record?.launcher);
    for (const cg of [...(record?.cgroups ?? [])].sort(v2First)) await removeCgroup(cg, removed);
    await rm(dir, { recursive: true, force: true });
    removed.push(`dir:${dir}`);
  }
}

async function sweepCgroups(removed: string[]): Promise<void> {
  const found = await findNamedCgroups((base) => ownerPid('instance', base) !== undefined);
  for (const cg of found.sort(v2First)) {
    const owner = ownerPid('instance', cg.path.slice(cg.path.lastIndexOf('/') + 1));
    if (owner !== undefined && (await runnerDead(owner))) await removeCgroup(cg, removed);
  }
}

async function netnsExists(name: string): Promise<boolean> {
  try {
    await access(join('/run/netns', name));
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

async function sweepNetns(removed: string[]): Promise<void> {
  const list = await execCommand(['ip', 'netns', 'list']);
  if (list.code !== 0) throw new Error(`ip netns list: ${list.stderr.trim()}`);
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = ownerPid('netns', name);
    if (owner === undefined || !(await runnerDead(owner))) continue;
    const del = await execCommand(['ip', 'netns', 'del', name]);
    if (del.code === 0) removed.push(`netns:${name}`);
    // Another runner's sweep may have deleted it a moment ago; only a namespace still there is an error.
    else if (await netnsExists(name)) throw new Error(`ip netns del ${name}: ${del.stderr.trim()}`);
  }
}

async function sweepTempDirs(removed: string[]): Promise<void> {
  for (const name of await listDir(TEMP_ROOT)) {
    const owner = ownerPid('temp', name);
    if (owner === undefined || !(await runnerDead(owner))) continue;
    const dir = join(TEMP_ROOT, name);
    await killRecordedProcess(dir);
    if ((await listDir(dir)).includes('private-keys-v1.d')) {
      // A GNUPGHOME: its gpg-agent outlives gpg; end it through its own socket.
      await execCommand(['gpgconf', '--homedir', dir, '--kill', 'all']);
    }
    await rm(dir, { recursive: true, force: true });
    removed.push(`dir:${dir}`);
  }
}

/**
 * Removes leftovers of DEAD harness runners only and returns what it removed
 * (`dir:<path>`, `cgroup:<path>`, `netns:<name>`).
 */
export async function sweepStaleHarnessResources(): Promise<string[]> {
  const removed: string[] = [];
  await sweepInstances(removed);
  await sweepCgroups(removed);
  await sweepNetns(removed);
  await sweepTempDirs(removed);
  return removed;
}
