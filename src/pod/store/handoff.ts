/**
 * @module pod/store/handoff — give a running pod's lock to a process that is not rocklet's.
 *
 * How liveness is represented (see pod-lock.ts for the kernel side): the pod is `running`
 * while some process holds an open descriptor of the lock's open file description. The child
 * gets it as fd {@link POD_LOCK_FD} (3), inherited across exec because spawn dup2()s it there
 * without close-on-exec. Intended holders:
 *
 * - standalone `rocklet run`: rocklet keeps its own descriptor while it supervises in the
 *   foreground and also gives it as fd 3 to `crun run --preserve-fds=1 …`, which passes it to
 *   the container's init; if rocklet is killed, the container still holds the lock and the
 *   pod stays `running` until its apps are gone. (An app that closes every inherited
 *   descriptor drops its copy; rocklet's own copy covers that case while rocklet lives.)
 * - pods under systemd: the sandbox unit (`pod up`) starts a tiny resident holder in its own
 *   cgroup, `sleep infinity` with the lock as fd 3 ({@link startDetachedLockHolder}), then
 *   detaches; the pod is `running`
 *   exactly as long as the sandbox unit's processes live. (Checked on systemd 252: a process
 *   left behind by a `Type=oneshot`, `RemainAfterExit=yes` ExecStart stays in the unit's
 *   cgroup while the unit is active, and `systemctl stop` kills it.) Stopping the unit kills the holder;
 *   the kernel drops the lock; the pod reads `exited`. App restarts (Restart=) never open a
 *   window in which gc could take the pod, which per-app holders would.
 */
import type { ChildProcess, IOType, SpawnOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition, spawnHolder } from '../../util/index.js';
import type { LockedPod } from './transitions.js';

/** The descriptor number the lock has in the child (`crun run --preserve-fds=1`). */
export const POD_LOCK_FD = 3;

/** Options of {@link spawnLockHolder}. */
export interface LockHolderOptions {
  /** The child's fds 0–2 (default: all `ignore`). */
  readonly stdio?: readonly [IOType | number, IOType | number, IOType | number];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Start the child in its own process group and do not keep this process alive for it. */
  readonly detached?: boolean;
  /**
   * Keep this process's own descriptor too (default false: the child becomes the only holder).
   * The pod then stays running until both have closed theirs.
   */
  readonly keepOwn?: boolean;
}

/**
 * Spawn `command args…` with the pod's lock as fd 3, wait until it has started, then (unless
 * `keepOwn`) close this process's descriptor without unlocking, so the child alone keeps the
 * pod `running`. If the child cannot be started, the lock stays with this process and the
 * spawn error is thrown.
 */
export async function spawnLockHolder(
  pod: LockedPod,
  command: string,
  args: readonly string[],
  options: LockHolderOptions = {},
): Promise<ChildProcess> {
  const [stdin, stdout, stderr] = options.stdio ?? ['ignore', 'ignore', 'ignore'];
  const spawnOptions: SpawnOptions = {
    stdio: [stdin, stdout, stderr, pod.lock.fd],
    detached: options.detached ?? false,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  };
  const child = spawn(command, [...args], spawnOptions);
  await once(child, 'spawn');
  if (options.detached === true) child.unref();
  if (options.keepOwn !== true) await pod.lock.detach();
  return child;
}

const programPaths = new Map<string, string>();

/** The absolute path of `program` in PATH (cached: the holder is looked up once per process). */
async function resolveProgram(program: string): Promise<string> {
  const known = programPaths.get(program);
  if (known !== undefined) return known;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      programPaths.set(program, candidate);
      return candidate;
    } catch (error) {
      // Not in (or not executable in) this directory: try the next one.
      if (!['ENOENT', 'EACCES', 'ENOTDIR'].includes(errnoCode(error) ?? '')) throw error;
    }
  }
  throw failedPrecondition('ERR_POD_HOLDER_MISSING', `cannot start the pod's lock holder: "${program}" is not in PATH`, { hint: 'install coreutils' });
}

/**
 * Start `program args…` as the pod's resident lock holder (fd 3; no stdio; its own session),
 * orphaned at once so that init or the nearest subreaper (systemd) reaps it, then close this
 * process's descriptor without unlocking: the holder alone keeps the pod `running`. Uses the
 * native helper's double clone instead of Node's spawn (see `spawnHolder`). If the holder cannot
 * be started, the lock stays with this process and the error is thrown. Returns its PID.
 */
export async function startDetachedLockHolder(pod: LockedPod, program: string, args: readonly string[]): Promise<number> {
  const file = await resolveProgram(program);
  const pid = spawnHolder(pod.lock.fd, file, [program, ...args]);
  await pod.lock.detach();
  return pid;
}
