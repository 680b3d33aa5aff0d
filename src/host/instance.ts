/**
 * @module host/instance — one running private systemd: run commands in it, read its journal and
 * unit cgroups from the host, and stop it.
 *
 * Stop is keyed by recorded identities only: SIGRTMIN+4 (poweroff.target) to the recorded
 * systemd PID if its start time still matches, SIGKILL after 5 s, then the launcher, then the
 * cgroups depth-first, then the instance dir. The namespaced PID 1 is polled, never the
 * unshare PID (a reparented unshare may linger as a zombie).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { internalError, runtimeFailure, unavailable } from '../util/index.js';
import { cgroupProcsRecursive, killCgroup, removeCgroupTree } from './cgroup-tree.js';
import type { ExecResult } from './exec.js';
import { execCommand } from './exec.js';
import type { InstanceRecord } from './instance-record.js';
import { errnoCode, isAlive, signalIdentity, waitForExit, withTimeout } from './proc.js';
import type { CgroupMode } from './instance-files.js';

/** systemd's "power off" request: SIGRTMIN+4 with glibc's SIGRTMIN of 34. */
export const SIGRTMIN_PLUS_4 = 38;
const STOP_GRACE_MS = 5_000;

/** A private systemd booted by {@link bootPrivateSystemd}. */
export interface PrivateSystemd {
  /** Its cgroup's name in every hierarchy (`rocklet-host`; tests: `testsd-rl-<runnerpid>-<n>`). */
  readonly name: string;
  /** Host PID of the instance's systemd (PID 1 inside). */
  readonly pid: number;
  /** `unix:path=<dir>/dbus/system_bus_socket`, the instance's dbus-daemon (never /run/systemd/private). */
  readonly busAddress: string;
  readonly mode: CgroupMode;
  /** Instance dir on the host: units/, dbus/, console.log, launch.log, instance.json. */
  readonly dir: string;
  /** Runs argv inside the instance (nsenter mount+pid, +net when private). */
  exec(argv: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** The unit's journal messages, one per line (`journalctl -o cat`), read from the host. */
  journal(unit: string): Promise<string>;
  /** Host PIDs of the unit's processes, from its cgroup.procs ([] when it has none). */
  unitPids(unit: string): Promise<number[]>;
  /** Host path of the unit's cgroup in the given hierarchy (default 'unified'). */
  unitCgroupDir(unit: string, controller?: 'memory' | 'cpu' | 'pids' | 'unified'): string;
  /**
   * Powers the instance off (every unit stops as at a shutdown), SIGKILL after `graceMs`
   * (default 5 s), and removes everything it left. Idempotent.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** Implementation of {@link PrivateSystemd}; made by bootPrivateSystemd, or from a record by a later process. */
export class PrivateSystemdInstance implements PrivateSystemd {
  readonly name: string;
  readonly mode: CgroupMode;
  readonly dir: string;
  readonly busAddress: string;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly record: InstanceRecord,
    private readonly launcher: ChildProcess | undefined = undefined,
  ) {
    this.name = record.name;
    this.mode = record.mode;
    this.dir = record.dir;
    this.busAddress = record.selfContained === true && record.systemd !== undefined
      ? `unix:path=/proc/${record.systemd.pid}/root/run/dbus/system_bus_socket`
      : `unix:path=${join(record.dir, 'dbus', 'system_bus_socket')}`;
  }

  get pid(): number {
    if (this.record.systemd === undefined) throw internalError('ERR_HOST_NOT_STARTED', `private systemd ${this.name}: not started`);
    return this.record.systemd.pid;
  }

  async exec(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const sd = this.record.systemd;
    // Entering a reused PID's namespaces would run the command somewhere else entirely.
    if (sd === undefined || !(await isAlive(sd))) throw unavailable('ERR_HOST_NOT_RUNNING', `private systemd ${this.name} is not running`);
    const ns = this.record.privateNetwork ? ['-m', '-p', '-n'] : ['-m', '-p'];
    return execCommand(['nsenter', '-t', String(sd.pid), ...ns, '--', ...argv], opts);
  }

  async journal(unit: string): Promise<string> {
    const result = await execCommand(['journalctl', '-q', '--no-pager', '-D', `/proc/${this.pid}/root/run/log/journal`, '-u', unit, '-o', 'cat']);
    if (result.code !== 0) throw runtimeFailure('ERR_HOST_JOURNAL', `journalctl -u ${unit} in ${this.name}: exit ${String(result.code)}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  async unitPids(unit: string): Promise<number[]> {
    return cgroupProcsRecursive(this.unitCgroupDir(unit));
  }

  unitCgroupDir(unit: string, controller: 'memory' | 'cpu' | 'pids' | 'unified' = 'unified'): string {
    const unified = this.record.cgroups.find((cg) => cg.fsType === 'cgroup2');
    if (unified === undefined) throw internalError('ERR_HOST_RECORD', `private systemd ${this.name}: no unified cgroup recorded`);
    const relative = findUnitCgroup(unified.path, unit) ?? defaultUnitCgroup(unit);
    if (controller === 'unified' || this.mode === 'unified') return join(unified.path, relative);
    const v1 = this.record.cgroups.find((cg) => cg.fsType === 'cgroup' && cg.controllers.includes(controller));
    if (v1 === undefined) throw internalError('ERR_HOST_RECORD', `private systemd ${this.name}: no ${controller} hierarchy`);
    return join(v1.path, relative);
  }

  /** The instance's launch.log and console.log, for error messages. */
  async logs(): Promise<string> {
    const parts: string[] = [];
    for (const file of ['launch.log', 'console.log']) {
      const text = await readIfExists(join(this.dir, file));
      if (text.trim() !== '') parts.push(`--- ${file} ---\n${text.trim().split('\n').slice(-20).join('\n')}`);
    }
    return parts.join('\n');
  }

  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping ??= this.doStop(options.graceMs ?? STOP_GRACE_MS);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    const problems: string[] = [];
    const sd = this.record.systemd;
    if (sd !== undefined && (await isAlive(sd))) {
      await signalIdentity(sd, SIGRTMIN_PLUS_4);
      if (!(await waitForExit(sd, graceMs))) {
        await signalIdentity(sd, 'SIGKILL');
        if (!(await waitForExit(sd, STOP_GRACE_MS))) problems.push(`systemd pid ${sd.pid} survived SIGKILL`);
      }
    }
    // Without a known PID 1 (boot failed early) nothing is shutting down: kill the launcher
    // at once; unshare's --kill-child then takes any PID 1 it forked with it.
    await this.reapLauncher(sd === undefined ? 0 : STOP_GRACE_MS, problems);
    for (const cg of this.record.cgroups) {
      // Only processes still in the instance's own cgroup (e.g. a crash before PID 1 existed).
      if (cg.fsType === 'cgroup2' && (await cgroupProcsRecursive(cg.path)).length > 0) await killCgroup(cg.path);
    }
    for (const cg of this.record.cgroups) {
      if (!(await removeCgroupTree(cg.path))) problems.push(`cgroup ${cg.path} still busy`);
    }
    if (problems.length > 0) throw runtimeFailure('ERR_HOST_STOP', `stopping private systemd ${this.name}: ${problems.join('; ')}`);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The launcher is our child: wait for its exit (Node reaps it), SIGKILL it if it lingers. */
  private async reapLauncher(graceMs: number, problems: string[]): Promise<void> {
    const child = this.launcher;
    if (child === undefined || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit').then(() => true);
    if ((await withTimeout(exited, graceMs)) === undefined) {
      child.kill('SIGKILL');
      if ((await withTimeout(exited, STOP_GRACE_MS)) === undefined) problems.push(`launcher pid ${child.pid} did not exit`);
    }
  }
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return '';
    throw error;
  }
}

/** The cgroup path of `unit` relative to the instance root, found by a shallow search. */
function findUnitCgroup(root: string, unit: string, depth = 0): string | undefined {
  if (depth > 4 || !existsSync(root)) return undefined;
  const dirs = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory());
  if (dirs.some((e) => e.name === unit)) return unit;
  for (const e of dirs) {
    if (!e.name.endsWith('.slice')) continue;
    const below = findUnitCgroup(join(root, e.name), unit, depth + 1);
    if (below !== undefined) return join(e.name, below);
  }
  return undefined;
}

/** Where systemd would put `unit` by default (for units whose cgroup does not exist yet). */
function defaultUnitCgroup(unit: string): string {
  if (unit === 'init.scope' || unit === '-.slice') return unit === '-.slice' ? '' : unit;
  if (!unit.endsWith('.slice')) return join('system.slice', unit);
  const parts = unit.slice(0, -'.slice'.length).split('-');
  return parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`).join('/');
}
