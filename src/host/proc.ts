/**
 * @module host/proc — process identity and polling.
 *
 * A PID alone is not an identity: it is reused. We record `(pid, starttime)` from
 * /proc/<pid>/stat when it learns a PID and only ever signals a process whose start time
 * still matches. A zombie counts as dead (it holds nothing but its PID).
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode, internalError } from '../util/index.js';

export { sleep, errnoCode };

/** A process as the harness knows it: PID plus kernel start time (clock ticks since boot). */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: string;
}

/** Reads state letter and start time of `pid`, or undefined when there is no such process. */
export async function readProcStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ESRCH') return undefined;
    throw error;
  }
  // comm (field 2) may contain spaces and parentheses; everything after the last ')' is fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) throw internalError('ERR_PROC_STAT', `unexpected /proc/${pid}/stat: ${text}`);
  return { state, startTime };
}

/** The identity of a live process, or undefined when it is gone or a zombie. */
export async function identify(pid: number): Promise<ProcessIdentity | undefined> {
  const stat = await readProcStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;
  return { pid, startTime: stat.startTime };
}

/** True while the very process of `id` exists and is not a zombie (PID reuse safe). */
export async function isAlive(id: ProcessIdentity): Promise<boolean> {
  const stat = await readProcStat(id.pid);
  return stat !== undefined && stat.startTime === id.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** True when some process (any state but zombie) holds `pid`; used for runner PIDs in names. */
export async function pidExists(pid: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** Sends `signal` to the process of `id` only if it is still that process. Returns whether it did. */
export async function signalIdentity(id: ProcessIdentity, signal: NodeJS.Signals | number): Promise<boolean> {
  if (!(await isAlive(id))) return false;
  try {
    process.kill(id.pid, signal);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Resolves with `promise`'s value, or with undefined after `timeoutMs`; the timer is cleared
 * either way so it cannot keep the process alive.
 */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of {@link waitFor}. */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that.
 * Resolves undefined on timeout (callers decide whether that is an error).
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  opts: WaitOptions = {},
): Promise<T | undefined> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(opts.intervalMs ?? 10);
  }
}

/** Waits until the process of `id` is gone; true if it went within `timeoutMs`. */
export async function waitForExit(id: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const gone = await waitFor(async () => !(await isAlive(id)), { timeoutMs, intervalMs: 5 });
  return gone === true;
}
