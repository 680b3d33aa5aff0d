/**
 * @module cli/daemon/log — the daemon's pino logger on stdout: JSON lines (one per decision,
 * with `file`, `pod`, `action`, `reason`) for the journal, or `HH:MM:SS LEVEL message key=value`
 * lines when stdout is a terminal. pino loads only for `rocklet daemon`.
 */
import type { DaemonLog } from '../../daemon/index.js';

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One JSON log line as a human-readable line. */
export function humanLogLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 19) : '';
  const level = typeof record.level === 'number' ? (LEVELS[record.level] ?? String(record.level)) : '';
  const fields = Object.entries(record)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? (/\s/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value)}`);
  return `${time} ${level.padEnd(5)} ${typeof record.msg === 'string' ? record.msg : ''}${fields.length === 0 ? '' : `  ${fields.join(' ')}`}\n`;
}

/** Wrapped in an object: a pino Logger has a `then`-like surface TypeScript will not return from an async function. */
export async function createDaemonLog(debug: boolean): Promise<{ readonly log: DaemonLog }> {
  const { pino } = await import('pino');
  const options = { level: debug ? 'debug' : 'info', base: null };
  const logger = process.stdout.isTTY
    ? pino(options, { write: (line: string) => process.stdout.write(humanLogLine(line)) })
    : // Synchronous: the last lines before an exit must reach the journal.
      pino(options, pino.destination({ dest: 1, sync: true }));
  const log: DaemonLog = {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
  };
  return { log };
}
