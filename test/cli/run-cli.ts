/** Test helper: runs the built `rocklet` CLI as a child process. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The bundled executable, as package.json's "bin" and install.sh ship it (built by scripts/bundle.mjs). */
export const CLI_PATH = fileURLToPath(new URL('../../rocklet/main.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunRockletOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  /** Commands to run the CLI under, e.g. `nsenter --net=FILE` or `setpriv --reuid=N`. */
  readonly prefix?: readonly string[];
}

export function runRocklet(args: readonly string[], options: RunRockletOptions = {}): Promise<CliResult> {
  const [command = process.execPath, ...rest] = [...(options.prefix ?? []), process.execPath, CLI_PATH, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
