/**
 * @module cli/render/time — timestamps in listings, as rkt showed them: relative in tables
 * (go-humanize's `Time`: `now`, `25 seconds ago`, `3 weeks ago`), absolute with `--full`
 * (Go layout `2006-01-02 15:04:05.999 -0700 MST`, local time), and nanoseconds since the
 * epoch in JSON (rkt's api/v1 objects).
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 12 * MONTH;
const LONG_TIME = 37 * YEAR;

interface Magnitude {
  /** Applies to differences below this many milliseconds. */
  readonly below: number;
  /** `%d` is the difference divided by `unit` (truncated); `%s` the direction label. */
  readonly format: string;
  readonly unit: number;
}

// go-humanize's defaultMagnitudes, in its order (a month is 30 days, a year 360).
const MAGNITUDES: readonly Magnitude[] = [
  { below: SECOND, format: 'now', unit: 1 },
  { below: 2 * SECOND, format: '1 second %s', unit: 1 },
  { below: MINUTE, format: '%d seconds %s', unit: SECOND },
  { below: 2 * MINUTE, format: '1 minute %s', unit: 1 },
  { below: HOUR, format: '%d minutes %s', unit: MINUTE },
  { below: 2 * HOUR, format: '1 hour %s', unit: 1 },
  { below: DAY, format: '%d hours %s', unit: HOUR },
  { below: 2 * DAY, format: '1 day %s', unit: 1 },
  { below: WEEK, format: '%d days %s', unit: DAY },
  { below: 2 * WEEK, format: '1 week %s', unit: 1 },
  { below: MONTH, format: '%d weeks %s', unit: WEEK },
  { below: 2 * MONTH, format: '1 month %s', unit: 1 },
  { below: YEAR, format: '%d months %s', unit: MONTH },
  { below: 18 * MONTH, format: '1 year %s', unit: 1 },
  { below: 2 * YEAR, format: '2 years %s', unit: 1 },
  { below: LONG_TIME, format: '%d years %s', unit: YEAR },
  { below: Number.POSITIVE_INFINITY, format: 'a long while %s', unit: 1 },
];

/** `then` relative to `now`: `now`, `1 second ago`, `5 minutes ago`, `2 days from now` … */
export function humanizeTime(then: Date, now: Date): string {
  const delta = now.getTime() - then.getTime();
  const label = delta < 0 ? 'from now' : 'ago';
  const diff = Math.abs(delta);
  const magnitude = MAGNITUDES.find((m) => diff < m.below) ?? MAGNITUDES[MAGNITUDES.length - 1];
  if (magnitude === undefined) return label;
  return magnitude.format.replace('%d', String(Math.trunc(diff / magnitude.unit))).replace('%s', label);
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function zoneName(date: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

/**
 * `date` in local time, Go layout `2006-01-02 15:04:05.999 -0700 MST`: milliseconds without
 * trailing zeros (none when whole), the numeric UTC offset, then the zone's abbreviation.
 */
export function formatTimestamp(date: Date): string {
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const fraction = date.getMilliseconds() === 0 ? '' : `.${pad(date.getMilliseconds(), 3).replace(/0+$/, '')}`;
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const offset = `${sign}${pad(Math.trunc(Math.abs(offsetMinutes) / 60))}${pad(Math.abs(offsetMinutes) % 60)}`;
  return `${day} ${time}${fraction} ${offset} ${zoneName(date)}`.trimEnd();
}

/**
 * Nanoseconds since the epoch (rkt's JSON times). Exact in JSON: the value is a whole number of
 * milliseconds times 10⁶, and JavaScript prints such a double with exactly those digits.
 */
export function unixNanos(date: Date): number {
  return date.getTime() * 1e6;
}
