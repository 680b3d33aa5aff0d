/**
 * @module cli/logs/options — `rocklet logs` flags as kubectl means them, parsed once into
 * {@link LogsOptions}: `--tail=N` (the last N lines; -1, the default, is all), `--since` (a
 * duration back from now, `10m`, or a time, `2026-12-05T04:30:00Z`), `--timestamps`,
 * `--previous` (the app's run before the current one), `-f`, `-c APP`.
 */
import { parseDuration, usageError } from '../../util/index.js';
import type { ParsedFlags } from '../flags.js';

export interface LogsOptions {
  readonly app: string | undefined;
  readonly follow: boolean;
  /** Undefined: every line. */
  readonly tail: number | undefined;
  /** Not older than this, µs since the epoch. */
  readonly sinceUsec: number | undefined;
  readonly timestamps: boolean;
  readonly previous: boolean;
}

/** `--tail` → a line count, undefined for all (-1). */
export function parseTail(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw usageError('ERR_FLAG_VALUE', `invalid value "${raw}" for --tail: expected a number of lines (-1 for all)`);
  }
  const lines = Number(raw.trim());
  if (lines < -1 || !Number.isSafeInteger(lines)) {
    throw usageError('ERR_FLAG_VALUE', `invalid value "${raw}" for --tail: expected a number of lines from 0 up (-1 for all)`);
  }
  return lines === -1 ? undefined : lines;
}

const TIME = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/i;

/** `--since` → µs since the epoch: a duration back from `nowMs`, or a time (RFC 3339; no zone: local time). */
export function parseSince(raw: string | undefined, nowMs: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const time = TIME.exec(text);
  if (time !== null) {
    const [, date = '', clock = '', fraction = '', zone] = time;
    const ms = Date.parse(`${date}T${clock.length === 5 ? `${clock}:00` : clock}${zone === undefined ? '' : zone.toUpperCase()}`);
    if (Number.isFinite(ms)) return ms * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
  } else if (/^[+\d.]/.test(text)) {
    try {
      return Math.round((nowMs - parseDuration(text)) * 1000);
    } catch (error) {
      throw usageError('ERR_FLAG_VALUE', `invalid value "${raw}" for --since: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'a duration back from now (30s, 10m, 1h30m) or a time (2026-12-05T04:30:00Z)',
      });
    }
  }
  throw usageError('ERR_FLAG_VALUE', `invalid value "${raw}" for --since: expected a duration (30s, 10m, 1h30m) or a time (2026-12-05T04:30:00Z)`);
}

export function logsOptions(flags: ParsedFlags, nowMs: number): LogsOptions {
  const app = flags.string('app') ?? flags.string('container');
  if (app?.trim() === '') throw usageError('ERR_FLAG_VALUE', 'invalid value "" for -c/--app: expected an app name');
  return {
    app,
    follow: flags.boolean('follow'),
    tail: parseTail(flags.string('tail')),
    sinceUsec: parseSince(flags.string('since'), nowMs),
    timestamps: flags.boolean('timestamps'),
    previous: flags.boolean('previous'),
  };
}
