/**
 * @module pod/logs/reader — reads a standalone app's log (format.ts): all of it, the last N
 * lines, the lines since a time, and, following, what is appended until the pod is gone.
 *
 * Memory stays flat whatever the file size: the last N lines are found by reading the files
 * backwards in blocks (counting `F` records, which end lines), then records are streamed forward
 * from there in blocks. Following polls the file (the writer is another process; inotify would
 * save little at this rate): each round reads what was appended, moves on to the new file when
 * the writer rotated (the old one is read to its end through the open descriptor first), and
 * ends, after one last read, when `running()` says the pod is gone.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../../util/index.js';
import type { LogRecord } from './format.js';
import { appLogPaths, decodeRecord } from './format.js';

const BLOCK = 64 * 1024;
const DEFAULT_POLL_MS = 200;

/** Options of {@link readAppLog}. */
export interface ReadAppLogOptions {
  /** Only the last N lines (default: all). */
  readonly tail?: number;
  /** Only records not older than this (µs since the epoch). */
  readonly sinceUsec?: number;
  /** Keep reading appended records while `running()` is true. */
  readonly follow?: { readonly running: () => Promise<boolean>; readonly intervalMs?: number; readonly signal?: AbortSignal };
}

async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

type TailStart = { readonly offset: number } | { readonly counted: number };

/**
 * Where the last `lines` lines of the file start: the offset after the (lines+1)-th line end
 * from the end (`F` records, and the newest record), or how many the whole file has when fewer.
 */
async function tailStart(fh: FileHandle, lines: number): Promise<TailStart> {
  const { size } = await fh.stat();
  let buf = Buffer.alloc(0);
  let bufStart = size;
  const prepend = async (): Promise<void> => {
    const start = Math.max(0, bufStart - BLOCK);
    const block = Buffer.alloc(bufStart - start);
    await fh.read(block, 0, block.length, start);
    buf = Buffer.concat([block, buf]);
    bufStart = start;
  };
  const lastNewlineBefore = async (end: number): Promise<number> => {
    for (;;) {
      const from = end - bufStart - 1;
      const found = from < 0 ? -1 : buf.lastIndexOf(0x0a, from);
      if (found >= 0) return bufStart + found;
      if (bufStart === 0) return -1;
      await prepend();
    }
  };
  // A record being written (no newline yet) is not part of the file yet.
  let lineEnd = await lastNewlineBefore(size);
  if (lineEnd < 0) return { counted: 0 };
  if (lines === 0) return { offset: lineEnd + 1 };
  let counted = 0;
  let newest = true;
  for (;;) {
    const previous = await lastNewlineBefore(lineEnd);
    const lineStart = previous + 1;
    const record = decodeRecord(buf.subarray(lineStart - bufStart, lineEnd - bufStart));
    // The newest record ends a line even when it is `P` (the app's last words without a newline).
    if (record !== undefined && (!record.partial || newest)) counted += 1;
    newest = false;
    if (counted === lines + 1) return { offset: lineEnd + 1 };
    if (lineStart === 0) return { counted };
    lineEnd = previous;
    buf = buf.subarray(0, lineEnd - bufStart + 1);
  }
}

/** Reads complete records of `fh` from `position` on; returns where the unread rest starts. */
async function* recordsFrom(fh: FileHandle, position: { offset: number }): AsyncGenerator<LogRecord, void, undefined> {
  const block = Buffer.alloc(BLOCK);
  let carry = Buffer.alloc(0);
  for (;;) {
    const { bytesRead } = await fh.read(block, 0, BLOCK, position.offset + carry.length);
    if (bytesRead === 0) return;
    const data = carry.length === 0 ? block.subarray(0, bytesRead) : Buffer.concat([carry, block.subarray(0, bytesRead)]);
    let start = 0;
    for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
      const record = decodeRecord(data.subarray(start, newline));
      position.offset += newline + 1 - start;
      start = newline + 1;
      if (record !== undefined) yield { ...record, content: Buffer.from(record.content) };
    }
    carry = Buffer.from(data.subarray(start));
  }
}

async function sameFile(fh: FileHandle, file: string): Promise<boolean> {
  try {
    const [open, named] = await Promise.all([fh.stat(), stat(file)]);
    return open.ino === named.ino && open.dev === named.dev;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** The records of app `app` of the pod in `podDir` (see the module doc). */
export async function* readAppLog(podDir: string, app: string, options: ReadAppLogOptions = {}): AsyncGenerator<LogRecord, void, undefined> {
  const paths = appLogPaths(podDir, app);
  let rotated = await openIfExists(paths.rotated);
  let current = await openIfExists(paths.current);
  try {
    let rotatedStart = 0;
    let currentStart = 0;
    if (options.tail !== undefined) {
      const inCurrent = current === undefined ? { counted: 0 } : await tailStart(current, options.tail);
      if ('offset' in inCurrent) {
        currentStart = inCurrent.offset;
        await rotated?.close();
        rotated = undefined;
      } else if (rotated !== undefined) {
        const inRotated = await tailStart(rotated, options.tail - inCurrent.counted);
        rotatedStart = 'offset' in inRotated ? inRotated.offset : 0;
      }
    }
    const keep = (record: LogRecord): boolean => options.sinceUsec === undefined || record.timeUsec >= options.sinceUsec;
    if (rotated !== undefined) {
      for await (const record of recordsFrom(rotated, { offset: rotatedStart })) if (keep(record)) yield record;
    }
    const follow = options.follow;
    if (follow === undefined) {
      if (current !== undefined) for await (const record of recordsFrom(current, { offset: currentStart })) if (keep(record)) yield record;
      return;
    }
    const position = { offset: currentStart };
    let last = false;
    for (;;) {
      current ??= await openIfExists(paths.current);
      if (current !== undefined) {
        for await (const record of recordsFrom(current, position)) if (keep(record)) yield record;
        if (!(await sameFile(current, paths.current))) {
          // Rotated (or removed): what the writer wrote before the rename is in the old file.
          for await (const record of recordsFrom(current, position)) if (keep(record)) yield record;
          await current.close();
          current = undefined;
          position.offset = 0;
          continue;
        }
      }
      if (last || follow.signal?.aborted === true) return;
      // One more read after the pod is gone: what the writer wrote before it ended.
      if (!(await follow.running())) {
        last = true;
        continue;
      }
      await sleep(follow.intervalMs ?? DEFAULT_POLL_MS, undefined, follow.signal === undefined ? {} : { signal: follow.signal }).catch((error: unknown) => {
        if (follow.signal?.aborted !== true) throw error;
      });
    }
  } finally {
    await rotated?.close();
    await current?.close();
  }
}
