/**
 * @module host/exec — run a command to completion and collect its output.
 *
 * The one way this layer (and the test harness built on it) runs host tools. A non-zero exit or a
 * signal is a result, not an error: tests assert on `code`, `signal` and the output. Only a
 * command that cannot be started at all (ENOENT, EACCES) rejects.
 */
import { spawn } from 'node:child_process';
import { failedPrecondition, internalError, runtimeFailure } from '../util/index.js';

/** What a finished command left behind. `code` is null when it died of `signal`. */
export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link execCommand}. */
export interface ExecOptions {
  /** Written to stdin, which is then closed. Without it stdin is empty. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** SIGKILL the command after this long (default 120 s) so a hung tool cannot hang a test run. */
  timeoutMs?: number;
  cwd?: string;
}

/** Default limit of {@link execCommand}; generous, it only exists to turn a hang into a failure. */
export const DEFAULT_EXEC_TIMEOUT_MS = 120_000;

/**
 * Runs `argv[0]` with `argv.slice(1)` (no shell) and resolves with its exit status and output.
 * Never rejects on a non-zero exit; rejects only when the command cannot be spawned.
 */
export function execCommand(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(internalError('ERR_EXEC_EMPTY', 'execCommand: empty argv'));
  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A command that exits without reading its stdin makes our write fail with EPIPE; that is
    // the command's choice, its exit status tells the story.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(failedPrecondition('ERR_TOOL_MISSING', `cannot run ${file}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** Like {@link execCommand} but rejects unless the command exits 0; resolves with stdout. */
export async function execChecked(argv: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const result = await execCommand(argv, opts);
  if (result.code !== 0) {
    const status = result.code === null ? `signal ${String(result.signal)}` : `exit ${result.code}`;
    throw runtimeFailure('ERR_TOOL_FAILED', `${argv.join(' ')}: ${status}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}
