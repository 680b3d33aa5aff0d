/**
 * @module host/boot — boot a private, isolated systemd: PID 1 of new PID, mount, UTS, IPC and
 * cgroup namespaces (plus net when asked). The test suite boots one per test file; the host mode
 * (`rocklet host start`, host-mode.ts) boots one that runs rocklet.service on machines whose
 * PID 1 is not systemd.
 *
 * The instance sees only the units in `<dir>/units`, keeps its journal in its own /run, writes
 * its console to a regular file, and serves its system bus at `<dir>/dbus/system_bus_socket`.
 * Lifetime `process` (tests): spawned as `setpriv --pdeathsig SIGKILL sh launch.sh` →
 * `unshare --kill-child=SIGKILL …`, so a killed caller takes the instance with it, and its v1
 * cgroups sit below the caller's. Lifetime `detached` (host mode): its own session, no
 * parent-death signal, v1 cgroups below each hierarchy's root: it outlives the command that
 * started it and is stopped by `rocklet host stop` (or `PrivateSystemd.stop`).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failedPrecondition, runtimeFailure } from '../util/index.js';
import type { Hierarchy } from './cgroup-tree.js';
import { createInstanceCgroups, isPureV2, listHierarchies } from './cgroup-tree.js';
import { execCommand } from './exec.js';
import type { InstanceRecord } from './instance-record.js';
import { writeRecord } from './instance-record.js';
import type { ProcessIdentity } from './proc.js';
import { errnoCode, identify, sleep, waitFor } from './proc.js';
import type { CgroupMode, ExtraUnits } from './instance-files.js';
import { systemdLibDir, writeScripts, writeUnits } from './instance-files.js';
import type { PrivateSystemd } from './instance.js';
import { PrivateSystemdInstance } from './instance.js';

/** Options of {@link bootPrivateSystemd}. */
export interface BootOptions {
  /** The instance dir (created; must not exist or be empty). */
  readonly dir: string;
  /** The instance's cgroup name in every hierarchy. */
  readonly name: string;
  /** 'auto' (default): hybrid where v1 controllers are mounted (limits enforced), else unified. */
  readonly mode?: CgroupMode | 'auto';
  /** Give the instance its own network namespace (only `lo`). */
  readonly privateNetwork?: boolean;
  /** Give up booting after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** `process`: dies with the caller (tests); `detached`: outlives it (host mode). */
  readonly lifetime: 'process' | 'detached';
  /** `$container` of PID 1. */
  readonly container: string;
  /** Units of the caller's, wanted by the default target (e.g. rocklet.service). */
  readonly extraUnits?: ExtraUnits;
  /**
   * Copy the units into the instance's /run and keep the bus socket there (host mode), so the
   * instance survives its dir being deleted; default false (tests add units to `<dir>/units`
   * later and reach the bus at `<dir>/dbus/`).
   */
  readonly selfContained?: boolean;
}

/** Picks the cgroup mode; rejects 'hybrid' where the host has no v1 controllers to share. */
export function resolveCgroupMode(requested: CgroupMode | 'auto', hierarchies: readonly Hierarchy[]): CgroupMode {
  const v1 = hierarchies.filter((h) => h.fsType === 'cgroup');
  const hybridPossible =
    !isPureV2(hierarchies) && v1.some((h) => h.controllers.includes('memory')) && v1.some((h) => h.controllers.includes('name=systemd'));
  if (requested === 'auto') return hybridPossible ? 'hybrid' : 'unified';
  if (requested === 'hybrid' && !hybridPossible) {
    throw failedPrecondition('ERR_HOST_CGROUP_MODE', 'hybrid cgroup mode needs v1 controllers and a name=systemd hierarchy under /sys/fs/cgroup; use mode unified');
  }
  return requested;
}

/**
 * Boots a private systemd and resolves once its SystemState is running or degraded (every unit
 * the default target wants has started or failed). On any failure everything created so far is
 * removed and the error carries the instance's logs.
 */
export async function bootPrivateSystemd(opts: BootOptions): Promise<PrivateSystemd> {
  const hierarchies = await listHierarchies();
  const mode = resolveCgroupMode(opts.mode ?? 'auto', hierarchies);
  const runner = await identify(process.pid);
  if (runner === undefined) throw runtimeFailure('ERR_PROC_STAT', 'cannot read /proc/self/stat');
  const { name, dir } = opts;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const record: InstanceRecord = { name, dir, mode, privateNetwork: opts.privateNetwork ?? false, selfContained: opts.selfContained ?? false, runner, cgroups: [] };
  let launcher: ChildProcess | undefined;
  try {
    await writeRecord(record);
    await Promise.all([mkdir(join(dir, 'units')), mkdir(join(dir, 'dbus')), writeFile(join(dir, 'console.log'), '')]);
    record.cgroups = await createInstanceCgroups(name, hierarchies, mode === 'hybrid', opts.lifetime === 'process' ? 'own' : 'root');
    await writeRecord(record);
    const libDir = await systemdLibDir();
    await writeUnits(join(dir, 'units'), libDir, opts.extraUnits);
    await writeScripts({ dir, mode, privateNetwork: record.privateNetwork, selfContained: record.selfContained === true, hierarchies, cgroups: record.cgroups, libDir, container: opts.container });
    launcher = await spawnLauncher(dir, opts.lifetime);
    record.launcher = (await identify(launcher.pid ?? 0)) ?? { pid: launcher.pid ?? 0, startTime: '' };
    record.systemd = await findInstancePid1(launcher, timeoutMs);
    await writeRecord(record);
    const instance = new PrivateSystemdInstance(record, launcher);
    await waitUntilRunning(instance, launcher, timeoutMs);
    return instance;
  } catch (error) {
    const instance = new PrivateSystemdInstance(record, launcher);
    const logs = await instance.logs();
    const message = error instanceof Error ? error.message : String(error);
    return stopAfterFailure(instance, runtimeFailure('ERR_HOST_BOOT', `${message}${logs === '' ? '' : `\n${logs}`}`, { cause: error }));
  }
}

/** Cleans up a failed boot and rethrows its error (with the cleanup's error, if any). */
async function stopAfterFailure(instance: PrivateSystemdInstance, error: unknown): Promise<never> {
  try {
    await instance.stop();
  } catch (stopError) {
    throw runtimeFailure('ERR_HOST_BOOT', 'private systemd boot failed and its cleanup failed too', { cause: new AggregateError([error, stopError]) });
  }
  throw error;
}

async function spawnLauncher(dir: string, lifetime: 'process' | 'detached'): Promise<ChildProcess> {
  const log = await open(join(dir, 'launch.log'), 'a');
  try {
    const argv = lifetime === 'process' ? ['setpriv', '--pdeathsig', 'SIGKILL', '--', '/bin/sh', join(dir, 'launch.sh')] : ['/bin/sh', join(dir, 'launch.sh')];
    const child = spawn(argv[0] ?? '/bin/sh', argv.slice(1), {
      stdio: ['ignore', log.fd, log.fd],
      // Own session: a Ctrl-C aimed at the caller must not reach the instance's PID 1;
      // the parent-death signal (process lifetime) and `stop()` are what end it.
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
  if (found === undefined) throw runtimeFailure('ERR_HOST_BOOT', `private systemd: unshare (pid ${pid}) started no PID 1 within ${timeoutMs} ms`);
  if (found === 'exited') throw runtimeFailure('ERR_HOST_BOOT', `private systemd: launcher exited early (code ${String(launcher.exitCode)}, signal ${String(launcher.signalCode)})`);
  return found;
}

/** Polls Manager.SystemState over the instance's bus with busctl. */
async function waitUntilRunning(instance: PrivateSystemdInstance, launcher: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer on the bus';
  while (Date.now() < deadline) {
    if (launcher.exitCode !== null || launcher.signalCode !== null) {
      throw runtimeFailure('ERR_HOST_BOOT', `private systemd ${instance.name} exited during boot (code ${String(launcher.exitCode)}, signal ${String(launcher.signalCode)})`);
    }
    const state = await systemState(instance.busAddress);
    if (state === 'running' || state === 'degraded') return;
    if (state !== undefined) last = `SystemState ${state}`;
    await sleep(10);
  }
  throw runtimeFailure('ERR_HOST_BOOT', `private systemd ${instance.name} not running after ${timeoutMs} ms (${last})`);
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
