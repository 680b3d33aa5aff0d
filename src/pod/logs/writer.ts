/**
 * @module pod/logs/writer — writes one standalone app's output to its log file (format.ts) and,
 * unchanged, to where the app's output went before logs existed (rocklet's own stdout/stderr).
 *
 * The app's stdout and stderr are two pipes that rocklet reads; a record is appended for each
 * line as it is read, so the file holds both streams in the order rocklet read them (as a
 * Kubernetes node's CRI logs do: lines the app writes to the two streams in the same instant
 * may be read in either order; under systemd both streams are one journal stream instead).
 * Appends are synchronous, so records of the two streams never interleave within a line.
 * Forwarding honours backpressure: a slow terminal slows the app down, as it did when the app
 * wrote to it directly; a terminal that went away stops forwarding, not logging.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { LogStream } from './format.js';
import { DEFAULT_LOG_MAX_BYTES, MAX_RECORD_CONTENT, appLogPaths, encodeRecord, nowUsec } from './format.js';

/** Where an app's output is also shown (the CLI passes process.stdout/stderr). */
export interface AppOutputForward {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
}

/** Appends one app's records to `<pod>/logs/<app>.log`, rotating at `maxBytes`. */
export class AppLogWriter {
  readonly #paths: { current: string; rotated: string };
  readonly #maxBytes: number;
  #fd: number;
  #size = 0;
  readonly #pending: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  readonly #pendingBytes: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  /** When the first byte of each stream's unfinished line arrived. */
  readonly #pendingSince: Record<LogStream, number> = { stdout: 0, stderr: 0 };

  constructor(podDir: string, app: string, maxBytes = DEFAULT_LOG_MAX_BYTES) {
    this.#paths = appLogPaths(podDir, app);
    this.#maxBytes = maxBytes;
    mkdirSync(path.dirname(this.#paths.current), { recursive: true, mode: 0o750 });
    // A pod runs once: a file left by nothing else starts empty.
    this.#fd = openSync(this.#paths.current, 'w', 0o640);
  }

  /** Takes a chunk of `stream` as read from the app. */
  append(stream: LogStream, chunk: Buffer): void {
    const time = nowUsec();
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      this.#take(stream, chunk.subarray(start, newline), time);
      this.#flush(stream, time, false);
      start = newline + 1;
    }
    if (start < chunk.length) this.#take(stream, chunk.subarray(start), time);
  }

  /** Writes what is left of unfinished lines (as `P` records) and closes the file. */
  close(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#pendingBytes[stream] > 0) this.#flush(stream, this.#pendingSince[stream], true);
    }
    closeSync(this.#fd);
  }

  #take(stream: LogStream, bytes: Buffer, time: number): void {
    let rest = bytes;
    while (this.#pendingBytes[stream] + rest.length > MAX_RECORD_CONTENT) {
      const room = MAX_RECORD_CONTENT - this.#pendingBytes[stream];
      this.#pending[stream].push(Buffer.from(rest.subarray(0, room)));
      this.#pendingBytes[stream] += room;
      this.#flush(stream, time, true);
      rest = rest.subarray(room);
    }
    if (rest.length === 0) return;
    if (this.#pendingBytes[stream] === 0) this.#pendingSince[stream] = time;
    // Copied: the chunk's memory belongs to the stream.
    this.#pending[stream].push(Buffer.from(rest));
    this.#pendingBytes[stream] += rest.length;
  }

  #flush(stream: LogStream, now: number, partial: boolean): void {
    // A line is stamped with when it began to arrive, as the journal stamps an entry.
    const time = this.#pendingBytes[stream] > 0 ? this.#pendingSince[stream] : now;
    const content = Buffer.concat(this.#pending[stream]);
    this.#pending[stream] = [];
    this.#pendingBytes[stream] = 0;
    const record = encodeRecord({ timeUsec: time, stream, partial, content });
    if (this.#size > 0 && this.#size + record.length > this.#maxBytes) this.#rotate();
    writeSync(this.#fd, record);
    this.#size += record.length;
  }

  #rotate(): void {
    closeSync(this.#fd);
    renameSync(this.#paths.current, this.#paths.rotated);
    this.#fd = openSync(this.#paths.current, 'w', 0o640);
    this.#size = 0;
  }
}

/** A Writable for one stream of the app: every chunk to `writer`, then to `forward` if any. */
export function teeStream(writer: AppLogWriter, stream: LogStream, forward: NodeJS.WritableStream | undefined): Writable {
  let forwarding = forward !== undefined;
  let waiting: (() => void) | undefined;
  const resume = (): void => {
    const next = waiting;
    waiting = undefined;
    next?.();
  };
  forward?.on('drain', resume);
  // A reader that went away (EPIPE) ends forwarding; the log keeps everything.
  forward?.on('error', () => {
    forwarding = false;
    resume();
  });
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writer.append(stream, chunk);
      if (!forwarding || forward === undefined || forward.write(chunk)) {
        callback();
        return;
      }
      waiting = () => callback();
    },
  });
}
