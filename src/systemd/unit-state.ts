/**
 * @module systemd/unit-state — the finite values systemd 252 reports about units and jobs.
 *
 * Each union comes with its const array (from `systemctl --state=help` and systemd's
 * string tables) and a parser. A value outside the list means systemd speaks a dialect this
 * facade does not know; the parsers then throw `ERR_SYSTEMD_PROTOCOL` rather than guess.
 */
import { internalError } from '../util/index.js';

export const LOAD_STATES = ['stub', 'loaded', 'not-found', 'bad-setting', 'error', 'merged', 'masked'] as const;
export type LoadState = (typeof LOAD_STATES)[number];

export const ACTIVE_STATES = [
  'active',
  'reloading',
  'inactive',
  'failed',
  'activating',
  'deactivating',
  'maintenance',
] as const;
export type ActiveState = (typeof ACTIVE_STATES)[number];

/** Every unit sub-state of systemd 252, across the unit types (service, scope, slice, socket, mount, timer, path...). */
export const SUB_STATES = [
  // shared
  'dead',
  'failed',
  'running',
  'active',
  'waiting',
  'cleaning',
  // service
  'condition',
  'start-pre',
  'start',
  'start-post',
  'exited',
  'reload',
  'stop',
  'stop-watchdog',
  'stop-sigterm',
  'stop-sigkill',
  'stop-post',
  'final-watchdog',
  'final-sigterm',
  'final-sigkill',
  'auto-restart',
  // scope
  'start-chown',
  'abandoned',
  // socket
  'listening',
  'stop-pre',
  'stop-pre-sigterm',
  'stop-pre-sigkill',
  // mount
  'mounting',
  'mounting-done',
  'mounted',
  'remounting',
  'unmounting',
  'remounting-sigterm',
  'remounting-sigkill',
  'unmounting-sigterm',
  'unmounting-sigkill',
  // timer
  'elapsed',
  // device, swap
  'tentative',
  'plugged',
  'activating',
  'activating-done',
  'deactivating',
  'deactivating-sigterm',
  'deactivating-sigkill',
] as const;
export type SubState = (typeof SUB_STATES)[number];

/** How a job ended (the `result` of the JobRemoved signal). */
export const JOB_RESULTS = [
  'done',
  'canceled',
  'timeout',
  'failed',
  'dependency',
  'skipped',
  'invalid',
  'assert',
  'unsupported',
  'collected',
  'once',
] as const;
export type JobResult = (typeof JOB_RESULTS)[number];

/** The `Result` property of services, scopes, sockets, mounts, timers and paths. */
export const UNIT_RESULTS = [
  'success',
  'resources',
  'protocol',
  'timeout',
  'exit-code',
  'signal',
  'core-dump',
  'watchdog',
  'start-limit-hit',
  'oom-kill',
  'exec-condition',
  'trigger-limit-hit',
  'service-start-limit-hit',
  'unit-start-limit-hit',
] as const;
export type UnitResult = (typeof UNIT_RESULTS)[number];

/** `ExecMainCode`: the `si_code` of the main process's exit (CLD_*); `none` while it has not exited. */
export const EXEC_MAIN_CODES = ['none', 'exited', 'killed', 'dumped', 'trapped', 'stopped', 'continued'] as const;
export type ExecMainCode = (typeof EXEC_MAIN_CODES)[number];

function member<T extends string>(values: readonly T[], what: string, value: unknown): T {
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  throw internalError('ERR_SYSTEMD_PROTOCOL', `unexpected ${what} ${JSON.stringify(value)} from systemd`);
}

/** @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` for an unknown value. */
export const parseLoadState = (value: unknown): LoadState => member(LOAD_STATES, 'LoadState', value);
/** @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` for an unknown value. */
export const parseActiveState = (value: unknown): ActiveState => member(ACTIVE_STATES, 'ActiveState', value);
/** @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` for an unknown value. */
export const parseSubState = (value: unknown): SubState => member(SUB_STATES, 'SubState', value);
/** @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` for an unknown value. */
export const parseJobResult = (value: unknown): JobResult => member(JOB_RESULTS, 'job result', value);
/** @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` for an unknown value. */
export const parseUnitResult = (value: unknown): UnitResult => member(UNIT_RESULTS, 'Result', value);

/** Maps the numeric `ExecMainCode` (CLD_EXITED = 1 ... CLD_CONTINUED = 6) to its name. */
export function parseExecMainCode(value: unknown): ExecMainCode {
  if (typeof value === 'number' && Number.isInteger(value)) {
    const code = EXEC_MAIN_CODES[value];
    if (code !== undefined) return code;
  }
  throw internalError('ERR_SYSTEMD_PROTOCOL', `unexpected ExecMainCode ${String(value)} from systemd`);
}
