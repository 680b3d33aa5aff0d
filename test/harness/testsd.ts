/**
 * @module harness/testsd — boot a private, isolated systemd 252 for one test file.
 *
 * The instance runs as PID 1 of new PID, mount, UTS, IPC and cgroup namespaces (plus net when
 * asked), sees only the units in `<dir>/units`, keeps its journal in its own /run, writes its
 * console to a regular file, and serves its system bus at `<dir>/dbus/system_bus_socket`.
 * Instance dirs live in /tmp/rocklet-test/sd/<name> (see names.ts). It is spawned as
 * `setpriv --pdeathsig SIGKILL sh launch.sh` → `unshare --kill-child=SIGKILL …` straight from
 * this Node process, so a killed test runner takes the instance with it.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hierarchy } from './cgroup.js';
import { createInstanceCgroups, isPureV2, listHierarchies } from './cgroup.js';
import { execCommand } from './exec.js';
import type { InstanceRecord } from './instance-record.js';
import { writeRecord } from './instance-record.js';
import { INSTANCE_ROOT, newInstanceName } from './names.js';
import type { ProcessIdentity } from './proc.js';
import { errnoCode, identify, sleep, waitFor } from './proc.js';
import type { CgroupMode } from './testsd-files.js';
import { systemdLibDir, writeScripts, writeUnits } from './testsd-files.js';
import { TestSystemdInstance } from './testsd-instance.js';

export type { CgroupMode } from './testsd-files.js';
export type { TestSystemd } from './testsd-instance.js';
import type { TestSystemd } from './testsd-instance.js';
export { sweepStaleHarnessResources } from './sweep.js';

/** Options of {@link bootTestSystemd}. */
export interface BootOptions {
  /** 'auto' (default): hybrid where v1 controllers are mounted (limits enforced), else unified. */
  mode?: CgroupMode | 'auto';
  /** Give the instance its own network namespace (only `lo`). */
  privateNetwork?: boolean;
  /** Give up booting after this long (default 30 s). */
  timeoutMs?: number;
}

/** Picks the cgroup mode; rejects 'hybrid' where the host has no v1 controllers to share. */
export function resolveCgroupMode(requested: CgroupMode | 'auto', hierarchies: readonly Hierarchy[]): CgroupMode {
  const v1 = hierarchies.filter((h) => h.fsType === 'cgroup');
  const hybridPossible =
    !isPureV2(hierarchies) && v1.some((h) => h.controllers.includes('memory')) && v1.some((h) => h.controllers.includes('name=systemd'));
  if (requested === 'auto') return hybridPossible ? 'hybrid' : 'unified';
  if (requested === 'hybrid' && !hybridPossible) {
    throw new Error('hybrid cgroup mode needs v1 controllers and a name=systemd hierarchy under /sys/fs/cgroup; use mode unified');
  }
  return requested;
}

/**
 * Boots a test systemd and resolves once its SystemState is running or degraded. On any
 * failure everything created so far is removed and the error carries the instance's logs.
 */
export async function bootTestSystemd(opts: BootOptions = {}): Promise<TestSystemd> {
  const hierarchies = await listHierarchies();
  const mode = resolveCgroupMode(opts.mode ?? 'auto', hierarchies);
  const runner = await identify(process.pid);
  if (runner === undefined) throw new Error('cannot read /proc/self/stat');
  const name = newInstanceName();
  const dir = join(INSTANCE_ROOT, name);
  await mkdir(INSTANCE_ROOT, { recursive: true, mode: 0o755 });
  await mkdir(dir, { mode: 0o755 });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const record: InstanceRecord = { name, dir, mode, privateNetwork: opts.privateNetwork ?? false, runner, cgroups: [] };
  let launcher: ChildProcess | undefined;
  try {
    await writeRecord(record);
    await Promise.all([mkdir(join(dir, 'units')), mkdir(join(dir, 'dbus')), writeFile(join(dir, 'console.log'), '')]);
    record.cgroups = await createInstanceCgroups(name, hierarchies, mode === 'hybrid');
    await writeRecord(record);
    const libDir = await systemdLibDir();
    await writeUnits(join(dir, 'units'), libDir);
    await writeScripts({ dir, mode, privateNetwork: record.privateNetwork, hierarchies, cgroups: record.cgroups, libDir });
    launcher = await spawnLauncher(dir);
    record.launcher = (await identify(launcher.pid ?? 0)) ?? { pid: launcher.pid ?? 0, startTime: '' };
    record.systemd = await findInstancePid1(launcher, timeoutMs);
    await writeRecord(record);
    const instance = new TestSystemdInstance(record, launcher);
    await waitUntilRunning(instance, launcher, timeoutMs);
    return instance;
  } catch (error) {
    const instance = new TestSystemdInstance(record, launcher);
    const logs = await instance.logs();
    const message = error instanceof Error ? error.message : String(error);
    return stopAfterFailure(instance, new Error(`${message}${logs === '' ? '' : `\n${logs}`}`, { cause: error }));
  }
}

/** Cleans up a failed boot and rethrows its error (with the cleanup's error, if any). */
async function stopAfterFailure(instance: TestSystemdInstance, error: unknown): Promise<never> {
  try {
    await instance.stop();
  } catch (stopError) {
    throw new AggregateError([error, stopError], 'test systemd boot failed and its cleanup failed too');
  }
  throw error;
}

async function spawnLauncher(dir: string): Promise<ChildProcess> {
  const log = await open(join(dir, 'launch.log'), 'a');
  try {
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', '/bin/sh', join(dir, 'launch.sh')], {
      stdio: ['ignore', log.fd, log.fd],
      // Own session: a Ctrl-C aimed at the test runner must not reach the instance's PID 1;
      // the parent-death signal and `stop()` are what end it.
      detached: true,
    });
    await once(child, 'spawn'); // rejects with the spawn error (e.g. setpriv missing)
    // The runner may finish without stop() (a forgotten after-hook): the parent-death
    // signal then takes the instance down instead of the instance keeping Node alive.
    child.unref();
    return child;
  } finally {
    await log.close();
  }
}

/** The instance's PID 1: the only child of the launcher (unshare --fork). */
async function findInstancePid1(launcher: ChildProcess, timeoutMs: number): Promise<ProcessIdentity> {
  const pid = launcher.pid ?? 0;
  const found = await waitFor(async () => {
    if (launcher.exitCode !== null || launcher.signalCode !== null) return 'exited' as const;
    let children: string;
    try {
      children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return 'exited' as const;
      throw error;
    }
    const first = children.trim().split(' ')[0];
    return first === undefined || first === '' ? undefined : identify(Number(first));
  }, { timeoutMs, intervalMs: 2 });
  if (found === undefined) throw new Error(`test systemd: unshare (pid ${pid}) started no PID 1 within ${timeoutMs} ms`);
  if (found === 'exited') throw new Error(`test systemd: launcher exited early (code ${String(launcher.exitCode)}, signal ${String(launcher.signalCode)})`);
  return found;
}

/** Polls Manager.SystemState over the instance's bus with busctl (no dependency on src/). */
async function waitUntilRunning(instance: TestSystemdInstance, launcher: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer on the bus';
  while (Date.now() < deadline) {
    if (launcher.exitCode !== null || launcher.signalCode !== null) {
      throw new Error(`test systemd ${instance.name} exited during boot (code ${String(launcher.exitCode)}, signal ${String(launcher.signalCode)})`);
    }
    const state = await systemState(instance.busAddress);
    if (state === 'running' || state === 'degraded') return;
    if (state !== undefined) last = `SystemState ${state}`;
    await sleep(10);
  }
  throw new Error(`test systemd ${instance.name} not running after ${timeoutMs} ms (${last})`);
}

/** Manager.SystemState, or undefined while the bus does not answer yet. */
export async function systemState(busAddress: string): Promise<string | undefined> {
  const result = await execCommand([
    'busctl', `--address=${busAddress}`, '--timeout=2', 'get-property',
    'org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'SystemState',
  ], { timeoutMs: 5_000 });
  if (result.code !== 0) return undefined;
  return /^s "(.*)"$/.exec(result.stdout.trim())?.[1];
}
