/**
 * @module cli/host-route — where PID 1 is not systemd and rocklet's private systemd runs
 * (host mode, src/host/host-mode.ts), the pod commands run inside its mount and PID namespaces
 * (and its network namespace when it has its own): the daemon's pods, their crun state,
 * namespace files and status file live in its private /run. The command is the same rocklet,
 * run again by `nsenter` with the same argv, working directory and environment; its exit code is
 * passed through. Under a systemd PID 1 (the machine's, or already inside the private one)
 * nothing is routed.
 */
import { spawn } from 'node:child_process';
import { findHost, hostLocation, underSystemd } from '../host/index.js';
import type { CliIo } from './dispatch.js';

/** Set in the environment of a routed command, so it never routes again. */
export const ROUTED_ENV = 'ROCKLET_IN_HOST';

/** The nsenter argv that runs `argv` inside the instance of `pid`. */
export function nsenterArgv(pid: number, privateNetwork: boolean, argv: readonly string[], cwd: string): string[] {
  return ['nsenter', '-t', String(pid), '-m', '-p', ...(privateNetwork ? ['-n'] : []), `--wd=${cwd}`, '--', ...argv];
}

/** Runs `argv` to completion with this process's stdio; resolves with its exit code. */
export function runInherited(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file ?? 'false', args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15));
    });
  });
}

/** The running host instance to route to, or undefined (none, routing off, or under systemd). */
export async function hostToRouteTo(env: NodeJS.ProcessEnv): Promise<{ pid: number; privateNetwork: boolean } | undefined> {
  if (env[ROUTED_ENV] === '1' || env['ROCKLET_HOST'] === 'off') return undefined;
  if (await underSystemd()) return undefined;
  const found = await findHost(hostLocation(env));
  if (found.state !== 'running') return undefined;
  return { pid: found.instance.pid, privateNetwork: found.record.privateNetwork };
}

/** Runs this rocklet invocation inside the host instance; undefined when there is none to route to. */
export async function runInHost(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  const host = await hostToRouteTo(io.env);
  if (host === undefined) return undefined;
  const self = [process.execPath, ...process.execArgv, process.argv[1] ?? '', ...argv];
  return runInherited(nsenterArgv(host.pid, host.privateNetwork, self, process.cwd()), { ...io.env, [ROUTED_ENV]: '1' });
}
