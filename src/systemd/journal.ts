/**
 * @module systemd/journal — reads the systemd journal as a stream of typed entries, by running
 * `journalctl -o json` and parsing its output line by line as it arrives.
 *
 * Why journalctl and not the journal files: the file format (hash tables, entry arrays, compressed
 * objects, several files per boot) is journalctl's to interpret, and sd-journal has no Node
 * binding. journalctl does the matching and seeking (`-n`, `--cursor`, `--since`) in C and writes
 * one JSON object per line; this module reads that output with backpressure (a pull-based async
 * iteration of the pipe), so memory stays flat however many entries match: only the line being
 * parsed is held. `--output-fields` keeps journalctl from formatting fields nobody reads.
 *
 * Matches are `FIELD=value` pairs, ANDed (journalctl's rule for different fields). A field value
 * journalctl prints as an array of bytes (binary or non-UTF-8 data) comes back as a Buffer.
 */
import { spawn } from 'node:child_process';
import { errnoCode, failedPrecondition, invalidArgument, runtimeFailure } from '../util/index.js';

/** One journal entry, with the fields rocklet reads. */
export interface JournalEntry {
  /** `__CURSOR`: where this entry is, for `afterCursor`/`cursor`. */
  readonly cursor: string;
  /** `__REALTIME_TIMESTAMP`: µs since the epoch. */
  readonly realtimeUsec: number;
  /** MESSAGE (a Buffer when the journal holds it as bytes); '' when absent. */
  readonly message: string | Buffer;
  /** `_SYSTEMD_INVOCATION_ID`: which run of its unit wrote it. */
  readonly invocationId: string | undefined;
  /** The other fields asked for with `fields` (first value of each). */
  readonly fields: ReadonlyMap<string, string>;
}

/** What to read. */
export interface JournalQuery {
  /** FIELD=value matches, all of which must hold. At least one. */
  readonly matches: Readonly<Record<string, string>>;
  /** Only the last N entries (`-n N`; with `reverse`: the newest N). */
  readonly lines?: number;
  /** Newest first (`-r`). */
  readonly reverse?: boolean;
  /** Not older than this (µs since the epoch, `--since=@…`). */
  readonly sinceUsec?: number;
  /** Start at this entry (inclusive). */
  readonly cursor?: string;
  /** Start after this entry. */
  readonly afterCursor?: string;
  /** Keep reading new entries (`-f`); ends only when the consumer stops or `signal` aborts. */
  readonly follow?: boolean;
  /** Extra fields to return in `fields`. */
  readonly fields?: readonly string[];
  /** journalctl's program name or path (default `journalctl`). */
  readonly journalctl?: string;
}

const FIELD_NAME = /^[A-Z0-9_]+$/;
const STDERR_LIMIT = 4096;

/** journalctl's argv for `query` (exported for tests). */
export function journalctlArgs(query: JournalQuery): string[] {
  const matches = Object.entries(query.matches);
  if (matches.length === 0) throw invalidArgument('ERR_JOURNAL_QUERY', 'a journal query needs at least one match');
  const fields = ['MESSAGE', '_SYSTEMD_INVOCATION_ID', ...(query.fields ?? [])];
  for (const name of [...fields, ...matches.map(([name]) => name)]) {
    if (!FIELD_NAME.test(name)) throw invalidArgument('ERR_JOURNAL_QUERY', `not a journal field name: "${name}"`);
  }
  const args = ['-q', '--no-pager', '-a', '-o', 'json', `--output-fields=${fields.join(',')}`];
  if (query.reverse === true) args.push('-r');
  if (query.cursor !== undefined) args.push(`--cursor=${query.cursor}`);
  if (query.afterCursor !== undefined) args.push(`--after-cursor=${query.afterCursor}`);
  if (query.sinceUsec !== undefined) args.push(`--since=@${(query.sinceUsec / 1e6).toFixed(6)}`);
  if (query.lines !== undefined) args.push(`--lines=${query.lines}`);
  else if (query.follow === true) args.push('--no-tail');
  if (query.follow === true) args.push('--follow');
  for (const [name, value] of matches) args.push(`${name}=${value}`);
  return args;
}

function fieldValue(value: unknown): string | Buffer | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    // Several values of one field: an array of those; bytes: an array of numbers.
    if (value.every((item): item is number => typeof item === 'number')) return Buffer.from(value);
    return fieldValue(value[0]);
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  const found = fieldValue(value);
  return found === undefined ? undefined : found.toString();
}

/** One line of `journalctl -o json` → an entry (exported for tests). */
export function parseJournalLine(line: string, extraFields: readonly string[] = []): JournalEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw runtimeFailure('ERR_JOURNAL_OUTPUT', `journalctl printed a line that is not JSON: ${line.slice(0, 200)}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw runtimeFailure('ERR_JOURNAL_OUTPUT', `journalctl printed a line that is not a JSON object: ${line.slice(0, 200)}`);
  }
  const record = parsed as Record<string, unknown>;
  const cursor = text(record.__CURSOR);
  const realtime = Number(text(record.__REALTIME_TIMESTAMP));
  if (cursor === undefined || !Number.isFinite(realtime)) {
    throw runtimeFailure('ERR_JOURNAL_OUTPUT', `journalctl printed an entry without __CURSOR or __REALTIME_TIMESTAMP: ${line.slice(0, 200)}`);
  }
  const fields = new Map<string, string>();
  for (const name of extraFields) {
    const value = text(record[name]);
    if (value !== undefined) fields.set(name, value);
  }
  return { cursor, realtimeUsec: realtime, message: fieldValue(record.MESSAGE) ?? '', invocationId: text(record._SYSTEMD_INVOCATION_ID), fields };
}

/**
 * The entries `query` selects, in journal order (or newest first with `reverse`). Stopping the
 * iteration (break, return, an exception in the loop) or aborting `signal` ends journalctl.
 * Throws ERR_JOURNALCTL_MISSING when there is no journalctl, ERR_JOURNALCTL_FAILED with its
 * message when it fails.
 */
export async function* readJournal(query: JournalQuery, signal?: AbortSignal): AsyncGenerator<JournalEntry, void, undefined> {
  const program = query.journalctl ?? 'journalctl';
  const child = spawn(program, journalctlArgs(query), { stdio: ['ignore', 'pipe', 'pipe'], ...(signal === undefined ? {} : { signal }) });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  const extra = query.fields ?? [];
  let done = false;
  try {
    let carry = '';
    for await (const chunk of child.stdout.setEncoding('utf8') as AsyncIterable<string>) {
      let start = 0;
      let end = chunk.indexOf('\n');
      if (end < 0) {
        carry += chunk;
        continue;
      }
      let line = carry + chunk.slice(0, end);
      carry = '';
      for (;;) {
        if (line !== '') yield parseJournalLine(line, extra);
        start = end + 1;
        end = chunk.indexOf('\n', start);
        if (end < 0) break;
        line = chunk.slice(start, end);
      }
      carry = chunk.slice(start);
    }
    if (carry.trim() !== '') yield parseJournalLine(carry, extra);
    done = true;
  } finally {
    if (!done && child.exitCode === null) child.kill('SIGTERM');
  }
  const result = await exited;
  if (signal?.aborted === true) return;
  if (result.error !== undefined) {
    if (errnoCode(result.error) === 'ENOENT') {
      throw failedPrecondition('ERR_JOURNALCTL_MISSING', `cannot read the journal: ${program} not found`, { hint: 'install systemd\'s journalctl (Debian: package systemd)', cause: result.error });
    }
    throw runtimeFailure('ERR_JOURNALCTL_FAILED', `cannot run ${program}: ${result.error.message}`, { cause: result.error });
  }
  if (result.code !== 0) {
    throw runtimeFailure('ERR_JOURNALCTL_FAILED', `${program} exited ${String(result.code)}${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`);
  }
}

/** The first entry `query` yields (e.g. with `reverse` and `lines: 1`: the newest), if any. */
export async function firstJournalEntry(query: JournalQuery): Promise<JournalEntry | undefined> {
  for await (const entry of readJournal(query)) return entry;
  return undefined;
}

/**
 * `journalctl --sync`: journald writes everything it has received (the stream data of a unit
 * that just stopped included) before this returns, so a read that follows sees it.
 */
export async function syncJournal(journalctl = 'journalctl'): Promise<void> {
  const child = spawn(journalctl, ['--sync'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw runtimeFailure('ERR_JOURNALCTL_FAILED', `${journalctl} --sync exited ${String(code)}: ${stderr.trim()}`);
}
