/**
 * @module duration — Go-style durations (`30m`, `24h`, `1h30m`, `0s`, `500ms`), as rkt's
 * `--grace-period` and friends take them.
 *
 * A duration is a sequence of decimal numbers, each with a unit: `ns`, `us` (or `µs`), `ms`,
 * `s`, `m`, `h`. A bare `0` is allowed (Go allows it too). Negative durations are refused:
 * every rocklet duration is a period of time to wait or keep something.
 */
import { invalidArgument } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)([a-zµ]*)/gy;

function invalid(text: string, why: string): never {
  throw invalidArgument('ERR_INVALID_DURATION', `invalid duration "${text}": ${why}`, {
    hint: 'use a number with a unit, e.g. 30s, 10m, 1h30m, 24h (units: ns, us, ms, s, m, h)',
  });
}

/**
 * Parse a Go-style duration into milliseconds (sub-millisecond units give fractions).
 * Throws `ERR_INVALID_DURATION` (invalid-argument) naming the text and what is wrong.
 */
export function parseDuration(text: string): number {
  if (text === '') invalid(text, 'empty');
  if (text.startsWith('-')) invalid(text, 'must not be negative');
  const body = text.startsWith('+') ? text.slice(1) : text;
  if (body === '0') return 0;
  if (body === '') invalid(text, 'no number');
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let match = PART.exec(body); match !== null; match = PART.exec(body)) {
    const [whole, number = '', unit = ''] = match;
    if (unit === '') invalid(text, `missing unit after "${number}"`);
    const factor = UNIT_MS[unit];
    if (factor === undefined) invalid(text, `unknown unit "${unit}"`);
    total += Number.parseFloat(number) * factor;
    consumed += whole.length;
  }
  if (consumed !== body.length) {
    invalid(text, `unexpected "${body.slice(consumed)}"`);
  }
  if (!Number.isFinite(total)) invalid(text, 'too large');
  return total;
}

/**
 * Format milliseconds the way Go prints a `time.Duration`: `0s`, `500ms`, `1.5s`, `30m0s`,
 * `24h0m0s`. Used in messages such as `still within grace period (30m0s)`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`formatDuration: not a finite number: ${ms}`);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs === 0) return '0s';
  if (abs < 1) return `${sign}${trim(abs * 1000)}µs`;
  if (abs < 1000) return `${sign}${trim(abs)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = (abs % 60_000) / 1000;
  const secondsText = `${trim(seconds)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${sign}${minutes}m${secondsText}`;
  return `${sign}${secondsText}`;
}

/** Up to nine decimals without trailing zeros (Go's precision). */
function trim(value: number): string {
  return Number(value.toFixed(9)).toString();
}
