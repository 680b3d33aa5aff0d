/**
 * @module pod/stage1/command — run one tool (crun, mount, umount) to completion, execa-style:
 * the result carries the command, exit code or signal, output and duration.
 *
 * A non-zero exit is a result, not an exception; callers decide what it means (crun's exit
 * code is often the app's). Only a tool that cannot be started rejects:
 * `ERR_STAGE1_TOOL_MISSING` (failed-precondition).
 */
import type { IOType } from 'node:child_process';
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { errnoCode, failedPrecondition, runtimeFailure } from '../../util/index.js';
import type { MountNamespace } from './mount-namespace.js';
import { nsPath } from './mount-namespace.js';

/** How a command ended. */
export interface CommandResult {
  /** The argv as run (namespace prefix included). */
  readonly command: readonly string[];
  /** null when the tool itself died of a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Captured output ('' unless the stream was `pipe`). */
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** The child's stdio: one mode for all three, or per stream (a number is an open fd). */
export type CommandStdio = 'pipe' | 'inherit' | 'ignore' | readonly [IOType | number, IOType | number, IOType | number];

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Default `pipe` (output captured). */
  readonly stdio?: CommandStdio;
  /** Extra descriptors of this process, given to the child as fd 3, 4, … */
  readonly extraFds?: readonly number[];
  readonly env?: NodeJS.ProcessEnv;
  /** SIGKILL the tool after this long (default: no limit). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Where the child's stdout and stderr go instead of being captured (each must be `pipe` in
   * `stdio`): piped with backpressure; the result waits until both have taken everything.
   */
  readonly output?: { readonly stdout: Writable; readonly stderr: Writable };
}

// Error messages quote at most this much of a tool's stderr: enough for crun's last lines.
const STDERR_TAIL_CHARS = 2_000;

/** The last lines of `text`, at most {@link STDERR_TAIL_CHARS} characters. */
export function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= STDERR_TAIL_CHARS ? trimmed : `…${trimmed.slice(-STDERR_TAIL_CHARS)}`;
}

/** Runs `argv` in `ns` (no shell). Rejects only when the tool cannot be started. */
export function runCommand(ns: MountNamespace, argv: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const command = [...ns.enter, ...argv];
  const [file, ...args] = command;
  if (file === undefined) return Promise.reject(new Error('runCommand: empty argv'));
  const base = options.stdio ?? 'pipe';
  const stdio = typeof base === 'string' ? [base, base, base] : [...base];
  const started = performance.now();
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [...stdio, ...(options.extraFds ?? [])],
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const output = options.output;
    if (output === undefined) {
      child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    } else {
      child.stdout?.pipe(output.stdout);
      child.stderr?.pipe(output.stderr);
    }
    // Nothing is written to stdin: closing it at once gives the tool EOF.
    child.stdin?.end();
    child.on('error', (error) => {
      if (errnoCode(error) === 'ENOENT') {
        reject(failedPrecondition('ERR_STAGE1_TOOL_MISSING', `cannot run ${file}: not found in PATH`, { cause: error }));
        return;
      }
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      // The outputs may still hold chunks their consumer has not taken (backpressure).
      const drained = output === undefined ? Promise.resolve() : Promise.all([finished(output.stdout), finished(output.stderr)]);
      drained.then(() => resolve({
        command,
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: performance.now() - started,
      }), reject);
    });
  });
}

/** How a result ended, for messages: `exited 3` or `was killed by SIGKILL`. */
export function describeExit(result: Pick<CommandResult, 'exitCode' | 'signal'>): string {
  return result.exitCode === null ? `was killed by ${String(result.signal)}` : `exited ${result.exitCode}`;
}

/** The result when the tool exited 0, else `code` (runtime) naming what failed and stderr. */
export function checkedResult(result: CommandResult, what: string, code = 'ERR_STAGE1_COMMAND_FAILED'): CommandResult {
  if (result.exitCode === 0) return result;
  const detail = tail(result.stderr) || tail(result.stdout);
  throw runtimeFailure(code, `${what}: ${result.command.join(' ')} ${describeExit(result)}${detail === '' ? '' : `: ${detail}`}`);
}

// The PATH tools are searched in when this process has none.
const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The absolute path of tool `name` in `ns` (searched in this process's PATH; a name with a
 * `/` is checked as is), or undefined when there is no executable by that name.
 */
export async function locateTool(ns: MountNamespace, name: string): Promise<string | undefined> {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? FALLBACK_PATH).split(':').filter((dir) => dir.startsWith('/')).map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      await access(nsPath(ns, candidate), fsConstants.X_OK);
      return candidate;
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'ENOTDIR') throw error;
    }
  }
  return undefined;
}
