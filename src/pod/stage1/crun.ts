/**
 * @module pod/stage1/crun — `CrunRuntime`: one method per crun verb, in the style of
 * containerd's go-runc, against one crun state root.
 *
 * State root: `/run/rocklet/crun` by default — crun's container state dies with a reboot
 * exactly like the containers (a tmpfs on real hosts), and a fixed path keeps `crun list`
 * and rocklet's cleanup simple. Container ids are `<pod uuid>-<app>` ({@link containerIdFor}).
 * `--cgroup-manager=disabled` by default, so the enclosing unit's cgroup and limits apply.
 *
 * Every call passes `--log=<file> --log-format=json`: crun's own errors go there, separate
 * from the app's output, which is how `run` tells "crun failed" (CrunError, ERR_CRUN_FAILED)
 * from "the app exited non-zero" (returned as is). Log files live in `logDir`
 * (`/run/rocklet/crun-log`) and are removed after each call.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition } from '../../util/index.js';
import type { CommandResult, CommandStdio, RunCommandOptions } from './command.js';
import { locateTool, runCommand } from './command.js';
import type { BundleFlags, CgroupManager, CrunGlobals, ExecProcess } from './crun-argv.js';
import { bundleVerbArgv, checkContainerId, execVerbArgv, globalArgv, signalNumber } from './crun-argv.js';
import { crunCgroupPrefix } from './crun-cgroups.js';
import { CrunError } from './crun-error.js';
import type { ContainerState } from './crun-state.js';
import { parseContainerList, parseContainerState } from './crun-state.js';
import type { MountNamespace } from './mount-namespace.js';
import { CURRENT_MOUNT_NAMESPACE, nsPath } from './mount-namespace.js';

export const DEFAULT_CRUN_ROOT = '/run/rocklet/crun';
export const DEFAULT_CRUN_LOG_DIR = '/run/rocklet/crun-log';

/** Options of {@link CrunRuntime}. */
export interface CrunRuntimeOptions {
  /** Name (searched in PATH) or absolute path of crun; default `crun`. */
  readonly binary?: string;
  /** crun's `--root`: where it keeps container state. */
  readonly root?: string;
  readonly logDir?: string;
  readonly cgroupManager?: CgroupManager;
  /** Where crun runs (default: here). */
  readonly namespace?: MountNamespace;
}

/** How a container process (or crun itself) ended. */
export interface ContainerExit {
  /** The app's exit code (a signal N reads as 128+N, as from a shell); null if crun died of a signal. */
  readonly exitCode: number | null;
  /** Set only when crun itself was killed. */
  readonly signal: NodeJS.Signals | null;
  /** Captured only with stdio `pipe`. */
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Options of `run` and `create`. */
export interface StartOptions extends Omit<BundleFlags, 'preserveFds'> {
  /** The container's stdio (`run` default `inherit`, `create` default `ignore`). */
  readonly stdio?: CommandStdio;
  /** Descriptors of this process passed in as fd 3, 4, … (e.g. the pod lock). */
  readonly extraFds?: readonly number[];
  /** Where stdout and stderr go (`run`; stdio must pipe them): see RunCommandOptions.output. */
  readonly output?: RunCommandOptions['output'];
}

/** Options of `exec`. */
export interface ExecOptions {
  /** Default `pipe`. */
  readonly stdio?: CommandStdio;
  readonly extraFds?: readonly number[];
  /**
   * cgroup.procs files (container-cgroups.ts) crun writes itself into first, through `sh`, so
   * what it starts runs in the container's cgroups (crun with the cgroup manager disabled moves
   * nothing). Only where this process's own mount namespace is the runtime's.
   */
  readonly joinCgroups?: readonly string[];
}

/** `sh` that writes itself into each cgroup.procs file before the `--`, then execs what follows. */
export function joinCgroupsPrefix(files: readonly string[]): readonly string[] {
  if (files.length === 0) return [];
  return ['/bin/sh', '-c', 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"', 'sh', ...files, '--'];
}

/** What `kill` found: signalled, already stopped, or no such container. */
export type KillResult = 'signalled' | 'stopped' | 'missing';

interface Invocation {
  readonly result: CommandResult;
  /** crun's error-level log messages. */
  readonly errors: readonly string[];
}

export class CrunRuntime {
  readonly root: string;
  readonly logDir: string;
  readonly cgroupManager: CgroupManager;
  readonly namespace: MountNamespace;
  readonly #binary: string;
  #located: Promise<string> | undefined;
  #dirsReady: Promise<void> | undefined;
  #cgroupPrefix: Promise<readonly string[]> | undefined;

  constructor(options: CrunRuntimeOptions = {}) {
    this.#binary = options.binary ?? 'crun';
    this.root = options.root ?? DEFAULT_CRUN_ROOT;
    this.logDir = options.logDir ?? DEFAULT_CRUN_LOG_DIR;
    this.cgroupManager = options.cgroupManager ?? 'disabled';
    this.namespace = options.namespace ?? CURRENT_MOUNT_NAMESPACE;
  }

  /** Absolute path of crun in the namespace; ERR_CRUN_MISSING (failed-precondition) if absent. */
  locate(): Promise<string> {
    this.#located ??= this.#search();
    return this.#located;
  }

  async #search(): Promise<string> {
    const binary = this.#binary;
    const found = await locateTool(this.namespace, binary);
    if (found !== undefined) return found;
    this.#located = undefined; // installing crun later must be noticed
    throw failedPrecondition('ERR_CRUN_MISSING', `cannot run containers: ${binary} not found${binary.includes('/') ? '' : ' in PATH'}`, {
      hint: 'run install.sh or use --stage1=fly',
    });
  }

  async #globals(): Promise<CrunGlobals> {
    return { binary: await this.locate(), root: this.root, cgroupManager: this.cgroupManager };
  }

  /** The full `crun run` command line (for a unit's ExecStart: crun as the resident process). */
  async runArgv(id: string, flags: BundleFlags): Promise<string[]> {
    return [...(await this.#prefixFor('run')), ...globalArgv(await this.#globals()), ...bundleVerbArgv('run', id, flags)];
  }

  /** What must run before crun for `verb`: on hybrid hosts, the verbs that set a cgroup up (crun-cgroups.ts). */
  #prefixFor(verb: string): Promise<readonly string[]> {
    if (verb !== 'run' && verb !== 'create') return Promise.resolve([]);
    this.#cgroupPrefix ??= crunCgroupPrefix(this.namespace).catch((error: unknown) => {
      this.#cgroupPrefix = undefined;
      throw error;
    });
    return this.#cgroupPrefix;
  }

  async #invoke(
    verb: string, id: string, verbArgv: readonly string[], stdio: CommandStdio, extraFds: readonly number[] = [], output?: RunCommandOptions['output'],
    before: readonly string[] = [],
  ): Promise<Invocation> {
    const globals = await this.#globals();
    const ns = this.namespace;
    // Once per runtime object: both live on a tmpfs that only a reboot (a new process) empties.
    this.#dirsReady ??= this.#makeDirs().catch((error: unknown) => {
      this.#dirsReady = undefined;
      throw error;
    });
    await this.#dirsReady;
    const log = path.join(this.logDir, `${id}.${verb}.${randomBytes(4).toString('hex')}.json`);
    const prefix = await this.#prefixFor(verb);
    const result = await runCommand(ns, [...before, ...prefix, ...globalArgv(globals, log), ...verbArgv], { stdio, extraFds, ...(output === undefined ? {} : { output }) });
    return { result, errors: await readLogErrors(nsPath(ns, log)) };
  }

  async #makeDirs(): Promise<void> {
    await mkdir(nsPath(this.namespace, this.root), { recursive: true, mode: 0o700 });
    await mkdir(nsPath(this.namespace, this.logDir), { recursive: true, mode: 0o700 });
  }

  #fail(what: string, inv: Invocation, id: string): never {
    const message = inv.errors.join('\n') || inv.result.stderr;
    if (this.#isMissing(message, id)) throw new CrunError('ERR_CRUN_CONTAINER_NOT_FOUND', what, inv.result, message, { category: 'not-found' });
    throw new CrunError('ERR_CRUN_FAILED', what, inv.result, message);
  }

  #isMissing(message: string, id: string): boolean {
    return message.includes(`${this.root}/${id}`) && message.includes('No such file or directory');
  }

  /**
   * `crun run`: creates, starts and waits for the container; resolves with the app's exit.
   * Throws CrunError (ERR_CRUN_FAILED) when crun itself failed (bad config, exec error).
   */
  async run(id: string, options: StartOptions): Promise<ContainerExit> {
    const extraFds = options.extraFds ?? [];
    const argv = bundleVerbArgv('run', id, { ...options, preserveFds: extraFds.length });
    const inv = await this.#invoke('run', id, argv, options.stdio ?? 'inherit', extraFds, options.output);
    if (inv.result.exitCode !== null && inv.errors.length > 0) this.#fail(`run container ${id}`, inv, id);
    return toExit(inv.result);
  }

  /** `crun create`: sets the container up, its init waiting for `start`. */
  async create(id: string, options: StartOptions): Promise<void> {
    const extraFds = options.extraFds ?? [];
    const argv = bundleVerbArgv('create', id, { ...options, preserveFds: extraFds.length });
    // The container inherits these; `pipe` would keep our end open until the container ends.
    const inv = await this.#invoke('create', id, argv, options.stdio ?? 'ignore', extraFds);
    if (inv.result.exitCode !== 0) this.#fail(`create container ${id}`, inv, id);
  }

  /** `crun start`: lets a created container's init exec the app. */
  async start(id: string): Promise<void> {
    checkContainerId(id);
    const inv = await this.#invoke('start', id, ['start', id], 'pipe');
    if (inv.result.exitCode !== 0) this.#fail(`start container ${id}`, inv, id);
  }

  /** `crun kill`: signals the init (`all`: every process). Idempotent for gone containers. */
  async kill(id: string, signal: NodeJS.Signals | number = 'SIGTERM', options: { all?: boolean } = {}): Promise<KillResult> {
    checkContainerId(id);
    const argv = ['kill', ...(options.all === true ? ['--all'] : []), id, String(signalNumber(signal))];
    const inv = await this.#invoke('kill', id, argv, 'pipe');
    if (inv.result.exitCode === 0) return 'signalled';
    const message = inv.errors.join('\n') || inv.result.stderr;
    if (this.#isMissing(message, id)) return 'missing';
    if (message.includes('No such process')) return 'stopped';
    return this.#fail(`kill container ${id}`, inv, id);
  }

  /** `crun delete` (`force`: kill a running container first). false when there was none. */
  async delete(id: string, options: { force?: boolean } = {}): Promise<boolean> {
    checkContainerId(id);
    // No state directory, no container: the common case (`crun run` deletes its own) costs no fork.
    if (!(await this.#hasStateDir(id)) || (await this.state(id)) === undefined) return false;
    const inv = await this.#invoke('delete', id, ['delete', ...(options.force === true ? ['--force'] : []), id], 'pipe');
    if (inv.result.exitCode === 0) return true;
    const message = inv.errors.join('\n') || inv.result.stderr;
    if (this.#isMissing(message, id)) return false; // a concurrent delete got there first
    return this.#fail(`delete container ${id}`, inv, id);
  }

  /** Whether crun keeps state for `id` (`<root>/<id>/`, created before crun reports it exists). */
  async #hasStateDir(id: string): Promise<boolean> {
    try {
      await lstat(nsPath(this.namespace, path.join(this.root, id)));
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /** `crun state`; undefined when no such container exists. */
  async state(id: string): Promise<ContainerState | undefined> {
    checkContainerId(id);
    const inv = await this.#invoke('state', id, ['state', id], 'pipe');
    if (inv.result.exitCode === 0) return parseContainerState(inv.result.stdout);
    if (this.#isMissing(inv.errors.join('\n') || inv.result.stderr, id)) return undefined;
    return this.#fail(`state of container ${id}`, inv, id);
  }

  /** `crun exec`: runs a process in a running container; resolves with its exit. */
  async exec(id: string, proc: ExecProcess, options: ExecOptions = {}): Promise<ContainerExit> {
    const extraFds = options.extraFds ?? [];
    const argv = execVerbArgv(id, { ...proc, preserveFds: extraFds.length });
    const inv = await this.#invoke('exec', id, argv, options.stdio ?? 'pipe', extraFds, undefined, joinCgroupsPrefix(options.joinCgroups ?? []));
    if (inv.result.exitCode !== null && inv.errors.length > 0) this.#fail(`exec in container ${id}`, inv, id);
    return toExit(inv.result);
  }

  /** `crun list`: every container in this state root. */
  async list(): Promise<ContainerState[]> {
    const inv = await this.#invoke('list', 'list', ['list', '--format=json'], 'pipe');
    if (inv.result.exitCode !== 0) this.#fail('list containers', inv, '');
    return parseContainerList(inv.result.stdout);
  }
}

function toExit(result: CommandResult): ContainerExit {
  return { exitCode: result.exitCode, signal: result.signal, stdout: result.stdout, stderr: result.stderr, durationMs: result.durationMs };
}

/** The error-level messages of a crun JSON log, then removes it. Unparsable lines count as errors. */
async function readLogErrors(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  await unlink(file);
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      errors.push(line);
      continue;
    }
    const record = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    if (record.level === 'error' || record.level === 'fatal') errors.push(String(record.msg));
  }
  return errors;
}
