/**
 * @module pod/stage1/crun-argv — crun command lines, one builder per verb (pure). The
 * runtime runs them; the pod runtime also puts `runArgv` into a unit's ExecStart, where crun
 * itself is the resident process.
 */
import { constants as osConstants } from 'node:os';
import { invalidArgument } from '../../util/index.js';
import { DEFAULT_PATH } from './oci-defaults.js';

export const CGROUP_MANAGERS = ['disabled', 'cgroupfs', 'systemd'] as const;
/**
 * Who manages the container's cgroup. `disabled` (default): crun creates none, so the
 * enclosing systemd unit's cgroup and limits apply; `cgroupfs`/`systemd` let crun apply the
 * config's `linux.resources` (standalone runs; needs a host crun supports — not hybrid v1/v2).
 */
export type CgroupManager = (typeof CGROUP_MANAGERS)[number];

/** crun's global flags for one state root. */
export interface CrunGlobals {
  readonly binary: string;
  readonly root: string;
  readonly cgroupManager: CgroupManager;
}

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Throws ERR_CRUN_CONTAINER_ID (invalid-argument) unless `id` is a usable container id. */
export function checkContainerId(id: string): void {
  if (!CONTAINER_ID.test(id)) {
    throw invalidArgument('ERR_CRUN_CONTAINER_ID', `container id "${id}" is invalid (1–128 of A-Z a-z 0-9 _ . -, not starting with . _ -)`);
  }
}

/** The container id of app `app` of pod `uuid`: unique on the host, readable in `crun list`. */
export function containerIdFor(uuid: string, app: string): string {
  const id = `${uuid}-${app}`;
  checkContainerId(id);
  return id;
}

/** Signal number for a name (`SIGTERM`) or number; ERR_CRUN_SIGNAL for an unknown name. */
export function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = (osConstants.signals as Readonly<Record<string, number>>)[signal];
  if (n === undefined) throw invalidArgument('ERR_CRUN_SIGNAL', `unknown signal ${signal}`);
  return n;
}

/** `crun --root=… --cgroup-manager=…` (+ log flags when given). */
export function globalArgv(globals: CrunGlobals, logFile?: string): string[] {
  return [
    globals.binary,
    `--root=${globals.root}`,
    `--cgroup-manager=${globals.cgroupManager}`,
    ...(logFile === undefined ? [] : [`--log=${logFile}`, '--log-format=json']),
  ];
}

/** Flags shared by `run` and `create`. */
export interface BundleFlags {
  /** The bundle directory (holds config.json). */
  readonly bundle: string;
  /** Extra fds (3, 4, …) passed into the container (`--preserve-fds`). */
  readonly preserveFds?: number;
  /** crun writes the container's host PID here. */
  readonly pidFile?: string;
}

/** The verb part of `run` / `create`. */
export function bundleVerbArgv(verb: 'run' | 'create', id: string, flags: BundleFlags): string[] {
  checkContainerId(id);
  return [
    verb,
    `--bundle=${flags.bundle}`,
    ...(flags.preserveFds === undefined || flags.preserveFds === 0 ? [] : [`--preserve-fds=${flags.preserveFds}`]),
    ...(flags.pidFile === undefined ? [] : [`--pid-file=${flags.pidFile}`]),
    id,
  ];
}

/** The process `exec` starts in a running container. */
export interface ExecProcess {
  readonly args: readonly string[];
  /**
   * `KEY=value` entries. Given, they *replace* the app's environment (crun's exec semantics);
   * PATH then defaults to {@link DEFAULT_PATH}. Absent, the process gets the app's environment.
   */
  readonly env?: readonly string[];
  readonly cwd?: string;
  readonly user?: { readonly uid: number; readonly gid: number };
  readonly tty?: boolean;
  readonly preserveFds?: number;
}

function execEnv(env: readonly string[] | undefined): readonly string[] {
  if (env === undefined) return [];
  return env.some((entry) => entry.startsWith('PATH=')) ? env : [`PATH=${DEFAULT_PATH}`, ...env];
}

/** The verb part of `exec`. */
export function execVerbArgv(id: string, process: ExecProcess): string[] {
  checkContainerId(id);
  if (process.args.length === 0) throw invalidArgument('ERR_CRUN_EXEC_ARGS', `exec in ${id}: no command given`);
  return [
    'exec',
    ...(process.tty === true ? ['--tty'] : []),
    ...(process.cwd === undefined ? [] : [`--cwd=${process.cwd}`]),
    ...(process.user === undefined ? [] : [`--user=${process.user.uid}:${process.user.gid}`]),
    ...execEnv(process.env).map((entry) => `--env=${entry}`),
    ...(process.preserveFds === undefined || process.preserveFds === 0 ? [] : [`--preserve-fds=${process.preserveFds}`]),
    id,
    ...process.args,
  ];
}
