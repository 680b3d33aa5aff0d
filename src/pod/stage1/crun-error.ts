/**
 * @module pod/stage1/crun-error — how a failed crun invocation is reported: `CrunError`, a
 * RockletError of category `runtime` (ERR_CRUN_FAILED) shaped like execa's error — the
 * command, its exit code or signal, the tail of what crun said and how long it ran.
 */
import { RockletError } from '../../util/index.js';
import type { CommandResult } from './command.js';
import { describeExit, tail } from './command.js';

/** A crun invocation that failed. `exitCode` (inherited) stays rocklet's own exit code, 254. */
export class CrunError extends RockletError {
  /** The argv that ran (namespace prefix included). */
  readonly command: readonly string[];
  /** crun's exit code; null when it died of a signal. */
  readonly commandExitCode: number | null;
  readonly commandSignal: NodeJS.Signals | null;
  /** The end of crun's error output (its log entries, else its stderr). */
  readonly stderrTail: string;
  readonly durationMs: number;

  constructor(code: string, what: string, result: CommandResult, crunMessage: string, options: { category?: 'runtime' | 'not-found' } = {}) {
    const detail = tail(crunMessage);
    super(options.category ?? 'runtime', code, `${what}: crun ${describeExit(result)}${detail === '' ? '' : `: ${detail}`}`, {
      hint: crunEnvironmentHint(crunMessage),
    });
    this.name = 'CrunError';
    this.command = result.command;
    this.commandExitCode = result.exitCode;
    this.commandSignal = result.signal;
    this.stderrTail = detail;
    this.durationMs = result.durationMs;
  }
}

/**
 * Why crun cannot work in this environment at all, and what to do, for the failures that are the
 * host's and not the pod's (one message instead of crun's last line); undefined otherwise.
 */
export function crunEnvironmentHint(crunMessage: string): string | undefined {
  if (crunMessage.includes('cgroups in hybrid mode not supported')) {
    return 'this host mixes cgroup v1 and v2 and crun refuses that; rocklet hides the v2 controllers from crun ' +
      'in a mount namespace of its own, which needs CAP_SYS_ADMIN and util-linux unshare: run as root, or use --stage1=fly ' +
      '(no cgroup of its own), or the daemon (`rocklet host start` where PID 1 is not systemd)';
  }
  if (/setrlimit.*Operation not permitted/i.test(crunMessage)) {
    return 'crun may not raise a resource limit here (the process lacks CAP_SYS_RESOURCE, common in containers and ' +
      'sandboxes): run rocklet where root keeps that capability, or use --stage1=fly';
  }
  if (/cgroup/i.test(crunMessage) && /(Read-only file system|Permission denied|No such file or directory)/.test(crunMessage)) {
    return 'crun cannot create the container\'s cgroup (is /sys/fs/cgroup mounted read-write and a controller this ' +
      'pod\'s limits need missing?): drop the limits, use --stage1=fly, or run the pod under the daemon';
  }
  return undefined;
}
