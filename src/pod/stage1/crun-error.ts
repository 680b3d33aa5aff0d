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
    super(options.category ?? 'runtime', code, `${what}: crun ${describeExit(result)}${detail === '' ? '' : `: ${detail}`}`);
    this.name = 'CrunError';
    this.command = result.command;
    this.commandExitCode = result.exitCode;
    this.commandSignal = result.signal;
    this.stderrTail = detail;
    this.durationMs = result.durationMs;
  }
}
