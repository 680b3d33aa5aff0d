/**
 * @module host/host-mode — rocklet's daemon on a machine whose PID 1 is not systemd (containers,
 * CI runners, WSL, this project's VMs): a private systemd (boot.ts) in its own PID, mount, UTS,
 * IPC and cgroup namespaces that runs rocklet.service. The machine's /etc, /var and network are
 * shared with it (so /etc/pods is the same directory); its /run is its own tmpfs, with the state
 * dir (default /run/rocklet/host: instance.json, units/, dbus/system_bus_socket, `bus`, logs)
 * bound back at the same path, so the bus address recorded there works inside and out.
 *
 * It is found without flags: by its record in the state dir (PID + start time, so a reused PID
 * never counts) or, when the state dir was deleted under it, by its cgroup (`rocklet-host` in
 * the cgroup2 hierarchy, systemd in its init.scope). `ROCKLET_HOST_DIR` moves the state dir (the
 * cgroup is then named after the dir's last component), so tests never meet a real install.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { alreadyExists, errnoCode, failedPrecondition, runtimeFailure } from '../util/index.js';
import { bootPrivateSystemd } from './boot.js';
import type { CgroupDir } from './cgroup-tree.js';
import { findNamedCgroups, listHierarchies, removeCgroupTree, unifiedHierarchy } from './cgroup-tree.js';
import { execCommand } from './exec.js';
import type { PrivateSystemd } from './instance.js';
import { PrivateSystemdInstance } from './instance.js';
import type { InstanceRecord } from './instance-record.js';
import { readRecord } from './instance-record.js';
import { identify, isAlive } from './proc.js';
import { rockletServiceUnit } from './rocklet-unit.js';

export const DEFAULT_HOST_DIR = '/run/rocklet/host';
export const DEFAULT_HOST_NAME = 'rocklet-host';
/** `$container` of the host mode's PID 1. */
export const HOST_CONTAINER = 'rocklet-host';
/** How long pods get to stop when the host stops, before its systemd is killed. */
export const HOST_STOP_GRACE_MS = 180_000;

/** Where the host mode keeps its state and what its cgroup is called. */
export interface HostLocation {
  readonly dir: string;
  readonly name: string;
}

/** The host location for `env` (`ROCKLET_HOST_DIR`, else /run/rocklet/host). */
export function hostLocation(env: NodeJS.ProcessEnv = process.env): HostLocation {
  const dir = env['ROCKLET_HOST_DIR'];
  if (dir === undefined || dir === '' || dir === DEFAULT_HOST_DIR) return { dir: DEFAULT_HOST_DIR, name: DEFAULT_HOST_NAME };
  if (!dir.startsWith('/')) throw failedPrecondition('ERR_HOST_DIR', `ROCKLET_HOST_DIR must be an absolute path, not ${JSON.stringify(dir)}`);
  return { dir, name: basename(dir) };
}

/** True when this process runs under a systemd PID 1 (the machine's, or inside the private one). */
export async function underSystemd(): Promise<boolean> {
  try {
    return (await readFile('/proc/1/comm', 'utf8')).trim() === 'systemd';
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'EACCES') return false;
    throw error;
  }
}

/** What is found at a host location. */
export type FoundHost =
  | { readonly state: 'running'; readonly instance: PrivateSystemd; readonly record: InstanceRecord; readonly stateDirMissing: boolean }
  | { readonly state: 'stale'; readonly record: InstanceRecord }
  | { readonly state: 'stopped' };

/** The bus address of a running host instance. */
export function hostBusAddress(record: InstanceRecord): string {
  return new PrivateSystemdInstance(record).busAddress;
}

/** Finds the private systemd of `location`: by its record, else by its cgroup. */
export async function findHost(location: HostLocation): Promise<FoundHost> {
  const record = await readRecord(location.dir);
  if (record?.systemd !== undefined && (await isAlive(record.systemd))) {
    return { state: 'running', instance: new PrivateSystemdInstance(record), record, stateDirMissing: false };
  }
  const recovered = await recordFromCgroups(location);
  if (recovered !== undefined) {
    return { state: 'running', instance: new PrivateSystemdInstance(recovered), record: recovered, stateDirMissing: record === undefined };
  }
  return record === undefined ? { state: 'stopped' } : { state: 'stale', record };
}

/** Rebuilds the record of a running instance from its cgroups (its state dir is gone). */
async function recordFromCgroups(location: HostLocation): Promise<InstanceRecord | undefined> {
  const hierarchies = await listHierarchies();
  const v2 = unifiedHierarchy(hierarchies);
  let procs: string;
  try {
    procs = await readFile(join(v2.mountPoint, location.name, 'init.scope', 'cgroup.procs'), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  let systemd;
  for (const pid of procs.split('\n').filter((l) => l !== '').map(Number)) {
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'systemd') systemd = await identify(pid);
    if (systemd !== undefined) break;
  }
  if (systemd === undefined) return undefined;
  const cgroups: CgroupDir[] = [];
  for (const found of await findNamedCgroups((base) => base === location.name, 1)) {
    const h = hierarchies.find((x) => found.path.startsWith(`${x.mountPoint}/`) && found.path.slice(x.mountPoint.length + 1) === location.name);
    if (h !== undefined) cgroups.push({ fsType: h.fsType, mountPoint: h.mountPoint, controllers: h.controllers, path: found.path });
  }
  const mode = cgroups.some((cg) => cg.fsType === 'cgroup') ? 'hybrid' : 'unified';
  const netOwn = await readFile(`/proc/${systemd.pid}/net/dev`, 'utf8').then((t) => t.split('\n').length <= 4, () => false);
  return { name: location.name, dir: location.dir, mode, privateNetwork: netOwn, selfContained: true, runner: systemd, cgroups, systemd };
}

/** Options of {@link startHost}. */
export interface StartHostOptions {
  /** The rocklet CLI's argv with `daemon` and its flags, for rocklet.service's ExecStart=. */
  readonly daemonArgv: readonly string[];
  /** Environment= of rocklet.service beyond its fixed settings. */
  readonly daemonEnvironment?: Readonly<Record<string, string>>;
  /** Give the instance its own network namespace (tests; pods are then reachable only inside). */
  readonly privateNetwork?: boolean;
  readonly timeoutMs?: number;
}

/** What {@link startHost} and {@link hostStatus} report. */
export interface HostStatus {
  readonly state: 'running' | 'stopped';
  readonly dir: string;
  readonly name: string;
  readonly pid?: number;
  readonly busAddress?: string;
  readonly mode?: string;
  readonly privateNetwork?: boolean;
  /** rocklet.service's ActiveState inside. */
  readonly daemon?: string;
  readonly stateDirMissing?: boolean;
  /** A record left by an instance that is gone (crash, reboot); start cleans it up. */
  readonly stale?: boolean;
}

async function daemonState(instance: PrivateSystemd): Promise<string> {
  const shown = await instance.exec(['systemctl', 'show', '--property=ActiveState', '--value', 'rocklet.service']);
  return shown.code === 0 ? shown.stdout.trim() : 'unknown';
}

/** The status of the host at `location`. */
export async function hostStatus(location: HostLocation): Promise<HostStatus> {
  const found = await findHost(location);
  if (found.state !== 'running') return { state: 'stopped', dir: location.dir, name: location.name, ...(found.state === 'stale' ? { stale: true } : {}) };
  const { instance, record } = found;
  return {
    state: 'running', dir: location.dir, name: location.name, pid: instance.pid, busAddress: hostBusAddress(record),
    mode: record.mode, privateNetwork: record.privateNetwork, daemon: await daemonState(instance), stateDirMissing: found.stateDirMissing,
  };
}

/** Removes what an instance that is gone left: its cgroups and its state dir. */
async function clearStale(record: InstanceRecord): Promise<void> {
  for (const cg of record.cgroups) await removeCgroupTree(cg.path);
  await rm(record.dir, { recursive: true, force: true });
}

async function checkTools(): Promise<void> {
  const missing: string[] = [];
  for (const tool of ['unshare', 'nsenter', 'busctl', 'dbus-daemon', 'mount']) {
    const found = await execCommand(['sh', '-c', `command -v ${tool}`]);
    if (found.code !== 0) missing.push(tool);
  }
  if (missing.length > 0) {
    throw failedPrecondition('ERR_HOST_TOOLS', `cannot boot the private systemd: ${missing.join(', ')} not found in PATH`, {
      hint: 'install util-linux, systemd and dbus (install.sh does)',
    });
  }
}

/**
 * Boots the private systemd with rocklet.service and resolves once the daemon reported READY.
 * Refuses when one runs already (or when PID 1 is systemd: use the machine's own).
 */
export async function startHost(location: HostLocation, options: StartHostOptions): Promise<HostStatus> {
  if (await underSystemd()) {
    throw failedPrecondition('ERR_HOST_HAS_SYSTEMD', 'PID 1 is systemd here: rocklet runs as the machine\'s own rocklet.service', {
      hint: 'systemctl enable --now rocklet.service (install.sh does)',
    });
  }
  const found = await findHost(location);
  if (found.state === 'running') {
    const where = `pid ${found.instance.pid}, bus ${hostBusAddress(found.record)}`;
    throw alreadyExists('ERR_HOST_RUNNING', `the private systemd already runs (${where})`, {
      hint: found.stateDirMissing
        ? `its state directory ${location.dir} was deleted while it ran; \`rocklet host stop\` stops it (and its pods) cleanly, then start it again`
        : '`rocklet host status` shows it; `rocklet host stop` stops it',
    });
  }
  if (found.state === 'stale') await clearStale(found.record);
  await checkTools();
  const instance = await bootPrivateSystemd({
    dir: location.dir,
    name: location.name,
    lifetime: 'detached',
    container: HOST_CONTAINER,
    selfContained: true,
    extraUnits: { 'rocklet.service': rockletServiceUnit(options.daemonArgv, options.daemonEnvironment) },
    ...(options.privateNetwork === undefined ? {} : { privateNetwork: options.privateNetwork }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  await writeFile(join(location.dir, 'bus'), `${instance.busAddress}\n`);
  const daemon = await daemonState(instance);
  if (daemon !== 'active') {
    const log = await instance.journal('rocklet.service').catch((error: unknown) => String(error));
    await instance.stop();
    throw runtimeFailure('ERR_HOST_DAEMON_FAILED', `rocklet.service did not start in the private systemd (${daemon}); it was stopped again:\n${log.trim().split('\n').slice(-15).join('\n')}`);
  }
  return hostStatus(location);
}

/**
 * Stops the private systemd: every unit stops as at a shutdown (pods get their grace period and
 * release their mounts, network and leases), then its cgroups and state dir are removed.
 * Returns false when none was running (a stale record is still cleared).
 */
export async function stopHost(location: HostLocation, options: { graceMs?: number } = {}): Promise<boolean> {
  const found = await findHost(location);
  if (found.state === 'stale') await clearStale(found.record);
  if (found.state !== 'running') return false;
  await found.instance.stop({ graceMs: options.graceMs ?? HOST_STOP_GRACE_MS });
  await rm(location.dir, { recursive: true, force: true });
  return true;
}
