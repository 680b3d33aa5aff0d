/**
 * @module pod/logs/format — the per-app log files of standalone pods (`rocklet run`,
 * `run-prepared`): where they are and what one record looks like.
 *
 * `<pod>/logs/<app>.log` holds the app's stdout and stderr in the order rocklet read them, one
 * record per line in the CRI log format kubelet writes (so the files read like a Kubernetes
 * node's `/var/log/pods`): `<RFC 3339 time, µs> <stdout|stderr> <F|P> <bytes>`. `F` ends a line
 * of the app's output; `P` is part of a longer line (one record holds at most
 * {@link MAX_RECORD_CONTENT} bytes) or the app's last output without a newline. When the file
 * reaches {@link DEFAULT_LOG_MAX_BYTES} it becomes `<app>.log.1` (replacing the previous one)
 * and a new file starts: an app's log takes at most twice that. The files are in the pod
 * directory, so they go when the pod is removed (gc, rm).
 */
import path from 'node:path';

export const LOGS_DIR = 'logs';
/** Size at which an app's log file is rotated. */
export const DEFAULT_LOG_MAX_BYTES = 8 * 1024 * 1024;
/** Longer lines are split into `P` records of this size. */
export const MAX_RECORD_CONTENT = 16 * 1024;

export type LogStream = 'stdout' | 'stderr';

/** One record of an app's log. */
export interface LogRecord {
  /** µs since the epoch, when rocklet read the bytes. */
  readonly timeUsec: number;
  readonly stream: LogStream;
  /** False for `F` (ends a line), true for `P`. */
  readonly partial: boolean;
  readonly content: Buffer;
}

/** `<pod>/logs/<app>.log` and its rotated predecessor. */
export function appLogPaths(podDir: string, app: string): { current: string; rotated: string } {
  const current = path.join(podDir, LOGS_DIR, `${app}.log`);
  return { current, rotated: `${current}.1` };
}

/** µs since the epoch as RFC 3339 with six fractional digits: `2026-12-05T04:30:00.123456Z`. */
export function formatUsec(usec: number): string {
  const ms = Math.floor(usec / 1000);
  const micros = String(Math.floor(usec) % 1_000_000).padStart(6, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${micros}Z`;
}

/** The current time in µs since the epoch (sub-millisecond from the monotonic clock). */
export function nowUsec(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** One record as bytes, newline included. */
export function encodeRecord(record: LogRecord): Buffer {
  const head = Buffer.from(`${formatUsec(record.timeUsec)} ${record.stream} ${record.partial ? 'P' : 'F'} `);
  return Buffer.concat([head, record.content, Buffer.from('\n')]);
}

const HEAD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z (stdout|stderr) ([FP]) $/;

/** One line of a log file (without its newline) → a record; undefined for a line that is not one. */
export function decodeRecord(line: Buffer): LogRecord | undefined {
  // The head is ASCII and ends at the third space.
  let spaces = 0;
  let end = -1;
  for (let i = 0; i < Math.min(line.length, 64); i++) {
    if (line[i] === 0x20 && ++spaces === 3) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) return undefined;
  const match = HEAD.exec(line.subarray(0, end).toString('latin1'));
  if (match === null) return undefined;
  const [, seconds = '', fraction = '', stream, flag] = match;
  const ms = Date.parse(`${seconds}Z`);
  if (!Number.isFinite(ms)) return undefined;
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return { timeUsec: ms * 1000 + micros, stream: stream === 'stderr' ? 'stderr' : 'stdout', partial: flag === 'P', content: line.subarray(end) };
}
