/**
 * @module net/exec — run the network tools (ip, nft, sysctl, unshare, umount) to completion.
 *
 * A tool that cannot be started is ERR_NET_TOOL_MISSING; a non-zero exit is a result that
 * callers inspect (some failures, such as "device does not exist", are expected answers) or
 * turn into ERR_NET_COMMAND_FAILED with {@link checked}.
 */
import { spawn } from 'node:child_process';
import { errnoCode, failedPrecondition, runtimeFailure } from '../util/index.js';

/** How a tool run ended. */
export interface ToolResult {
  readonly argv: readonly string[];
  /** null when the tool died of a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  /** Written to the tool's stdin (e.g. an `nft -f -` script). */
  readonly input?: string;
  readonly signal?: AbortSignal | undefined;
}

// A hung `ip` or `nft` must not hang `pod up` forever; none of them legitimately takes this long.
const TOOL_TIMEOUT_MS = 30_000;

const PACKAGE_OF: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  nft: 'nftables',
  sysctl: 'procps',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  umount: 'mount',
};

/** Run `argv` (no shell) and collect its output. Rejects only when it cannot be started. */
export function runTool(argv: readonly string[], options: RunToolOptions = {}): Promise<ToolResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('runTool: empty argv'));
  return new Promise<ToolResult>((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: TOOL_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', (error) => {
      // The tool may exit before reading its input; its exit status tells what happened.
      if (errnoCode(error) !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.input ?? '');
    child.on('error', (error) => {
      if (errnoCode(error) === 'ENOENT') {
        const pkg = PACKAGE_OF[file];
        reject(
          failedPrecondition('ERR_NET_TOOL_MISSING', `cannot run ${file}: not found in PATH`, {
            hint: pkg === undefined ? undefined : `install the ${pkg} package`,
            cause: error,
          }),
        );
        return;
      }
      reject(error);
    });
    child.on('close', (code) => {
      resolve({
        argv,
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** The result when it exited 0, else ERR_NET_COMMAND_FAILED naming the command and its stderr. */
export function checked(result: ToolResult, what: string): ToolResult {
  if (result.code === 0) return result;
  const status = result.code === null ? 'was killed' : `exited ${result.code}`;
  const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join('; ');
  throw runtimeFailure('ERR_NET_COMMAND_FAILED', `${what}: ${result.argv.join(' ')} ${status}: ${detail}`);
}
