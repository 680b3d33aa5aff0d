/**
 * @module writeback — flush an import's data to disk while it is still being written, and make
 * it durable at the end. An import must make blob and tree durable before it commits; one
 * syncfs at the end would wait for the disk to take everything at once (≈ 400 MB for a 200 MB
 * image: blob + tree). Kicking off a syncfs every so many bytes lets the disk work while the
 * CPU extracts and hashes, so the final syncfs has only the tail left. At most one runs at a
 * time.
 *
 * Node has no syncfs(2); coreutils `sync -f` does it. Spawning a process per flush cost the
 * extracting thread ~10 ms each (fork of a large process, waiting for its exec), so one shell
 * is started up front and runs `sync -f` per line it reads.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { runtimeFailure } from '../util/index.js';

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** Answers `ok` or `fail` per input line, after `sync -f` of its argument. */
const SYNC_LOOP = 'while read -r _; do if sync -f "$1"; then echo ok; else echo fail; fi; done';

/** A shell that runs `sync -f dir` on request. */
class SyncProcess {
  readonly #dir: string;
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  readonly #exited: Promise<void>;
  #stdout = '';
  #stderr = '';
  #failure: Error | undefined;

  constructor(dir: string) {
    this.#dir = dir;
    this.#child = spawn('/bin/sh', ['-c', SYNC_LOOP, 'sh', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout.setEncoding('utf8');
    this.#child.stderr.setEncoding('utf8');
    this.#child.stdout.on('data', (text: string) => this.#onOutput(text));
    this.#child.stderr.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-2000);
    });
    // Writing to a shell that died is reported through 'exit'/'error'.
    this.#child.stdin.on('error', () => undefined);
    this.#exited = new Promise((resolve) => {
      this.#child.on('error', (error) => {
        this.#fail(runtimeFailure('ERR_SYNC_FAILED', `cannot start "sync -f ${dir}": ${error.message}`, { cause: error }));
        resolve();
      });
      this.#child.on('close', (code, signal) => {
        this.#fail(runtimeFailure('ERR_SYNC_FAILED', `"sync -f ${dir}" stopped (${signal ?? `exit code ${code}`}) ${this.#stderr.trim()}`.trim()));
        resolve();
      });
    });
  }

  /** syncfs of the directory's filesystem. */
  sync(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#child.stdin.write('\n');
    });
  }

  /** End the shell and wait for it. */
  async close(): Promise<void> {
    this.#child.stdin.end();
    await this.#exited;
  }

  #onOutput(text: string): void {
    this.#stdout += text;
    for (let newline = this.#stdout.indexOf('\n'); newline >= 0; newline = this.#stdout.indexOf('\n')) {
      const line = this.#stdout.slice(0, newline);
      this.#stdout = this.#stdout.slice(newline + 1);
      const waiter = this.#waiters.shift();
      if (line === 'ok') {
        waiter?.resolve();
      } else {
        const detail = this.#stderr.trim();
        this.#stderr = '';
        waiter?.reject(runtimeFailure('ERR_SYNC_FAILED', `"sync -f ${this.#dir}" failed${detail === '' ? '' : `: ${detail}`}`));
      }
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
  }
}

/** Tracks bytes written under `dir` and flushes its filesystem in the background. Always {@link drain} it. */
export class EarlyWriteback {
  readonly #everyBytes: number;
  readonly #process: SyncProcess;
  #pendingBytes = 0;
  #running: Promise<Outcome> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(dir: string, everyBytes: number) {
    this.#everyBytes = everyBytes;
    this.#process = new SyncProcess(dir);
  }

  /** Count `bytes` more written; starts a flush when enough piled up and none is running. */
  wrote(bytes: number): void {
    this.#pendingBytes += bytes;
    if (this.#pendingBytes < this.#everyBytes || this.#running !== undefined) return;
    this.#pendingBytes = 0;
    const running = this.#process.sync().then(
      (): Outcome => ({ ok: true }),
      (error: unknown): Outcome => ({ ok: false, error }),
    );
    this.#running = running;
    void running.then((outcome) => {
      if (!outcome.ok) this.#failure ??= { error: outcome.error };
      if (this.#running === running) this.#running = undefined;
    });
  }

  /** Wait for a running flush; throws the first flush failure. */
  async settle(): Promise<void> {
    await this.#running;
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** Make everything written so far durable (a last syncfs, after any running one). */
  async sync(): Promise<void> {
    await this.settle();
    await this.#process.sync();
  }

  /** Wait for a running flush, ignoring failures (cleanup after another error), and end the shell. */
  async drain(): Promise<void> {
    await this.#running;
    await this.#process.close();
  }
}
