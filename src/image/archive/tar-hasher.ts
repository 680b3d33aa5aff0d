/**
 * @module tar-hasher — hashes the uncompressed tar while the main thread extracts it: the
 * SHA-512 of the whole stream (the image ID) and the SHA-256 of chosen byte ranges (regular
 * files, for the tree hash), and optionally copies the stream to a file (the store's blob).
 * The reader fills slots of a small ring, uses them, then submits them; a slot comes back for
 * reuse once it is hashed (and copied) and whatever else the reader attached to it is done.
 * Memory stays at the ring's size whatever the image size.
 *
 * In `worker` mode the ring is a SharedArrayBuffer read by hash-worker.js on another core (no
 * copies); hashing is the largest part of an import's CPU time, and this takes it off the
 * thread that writes the files. `inline` mode hashes on the calling thread: for small inputs,
 * where starting a worker (~25 ms) costs more than it saves.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as WorkerThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import { runtimeFailure } from '../../util/index.js';
import type { FromHashWorker, HashWorkerData, ToHashWorker } from './hash-protocol.js';
import { FILE_DIGEST_BYTES, SEGMENT_END, SEGMENT_START } from './hash-protocol.js';
import type { CopyTarget } from './tar-copy.js';
import { StreamCopy, allocateRing, copyError, writeAt } from './tar-copy.js';

export type { CopyTarget } from './tar-copy.js';

export const HASH_MODES = ['worker', 'inline'] as const;
export type HashMode = (typeof HASH_MODES)[number];

/** Default slot size: large enough that per-slot overhead (a message, a read) is noise. */
export const DEFAULT_SLOT_BYTES = 1024 * 1024;
/**
 * Default ring size: a slot being filled, one being extracted, and four being hashed or written
 * (direct writes of the copy hold a slot until the disk has it).
 */
export const DEFAULT_SLOT_COUNT = 6;

/** A slot of the ring: fill `buffer`, use it, then {@link TarHasher.submit} it. */
export interface HashSlot {
  readonly index: number;
  readonly buffer: Buffer;
}

/** The digests of one stream. */
export interface TarHashes {
  /** SHA-512 of every byte submitted, hex. */
  readonly sha512: string;
  /** SHA-256 (hex) of each range started with SEGMENT_START, in order. */
  readonly fileDigests: readonly string[];
}

/** Options of a {@link TarHasher}. */
export interface TarHasherOptions {
  readonly mode: HashMode;
  /** Names the input in error messages. */
  readonly label: string;
  readonly slotBytes?: number;
  readonly slotCount?: number;
  /**
   * Copy every byte submitted into a file, at its offset in the stream (see tar-copy.ts; in
   * `worker` mode, buffered writes happen on the worker). A failed write fails the hasher
   * (`ERR_TAR_COPY_FAILED`); a slot is reused only once its copy is written.
   */
  readonly copyTo?: CopyTarget | undefined;
  /** The worker script (tests substitute a failing one). */
  readonly workerUrl?: URL;
}

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

const WORKER_URL = new URL('./hash-worker.js', import.meta.url);

/** Hashes submitted slots; always {@link close} it (a live worker keeps the process running). */
export class TarHasher {
  readonly #label: string;
  readonly #slots: Buffer[] = [];
  readonly #free: number[] = [];
  readonly #waiters: Waiter<HashSlot>[] = [];
  /** Per slot in flight: still waiting for the hash, and for its hold. */
  readonly #pending = new Map<number, { hashed: boolean; held: boolean }>();
  readonly #holds = new Set<Promise<unknown>>();
  readonly #worker: Worker | undefined;
  readonly #inline: { whole: Hash; file: Hash | undefined; digests: string[] } | undefined;
  readonly #copy: StreamCopy | undefined;
  #result: Waiter<TarHashes> | undefined;
  #failure: Error | undefined;
  #closed = false;
  #unhashed = 0;

  constructor(options: TarHasherOptions) {
    this.#label = options.label;
    // Inline slots are ordinary (unaligned) buffers, and small inputs gain nothing from O_DIRECT.
    const copyTo = options.mode === 'inline' && options.copyTo !== undefined ? { fd: options.copyTo.fd } : options.copyTo;
    this.#copy = copyTo === undefined ? undefined : new StreamCopy(copyTo, options.label);
    const slotBytes = options.slotBytes ?? DEFAULT_SLOT_BYTES;
    const slotCount = options.slotCount ?? DEFAULT_SLOT_COUNT;
    if (options.mode === 'worker') {
      const ring = allocateRing(slotBytes * slotCount, options.copyTo?.directFd !== undefined);
      for (let index = 0; index < slotCount; index += 1) this.#slots.push(Buffer.from(ring, index * slotBytes, slotBytes));
      const workerData: HashWorkerData = { ring, slotBytes, copyFd: options.copyTo?.fd ?? -1 };
      // No inherited execArgv: flags meant for the main script (`--input-type`, loaders) make
      // a worker fail to start, and the worker needs none.
      // node:worker_threads is required here, not imported at the top: it costs every importer
      // of the image layer ~8 ms, and only imports of large images start a worker.
      const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof WorkerThreads;
      const worker = new Worker(options.workerUrl ?? WORKER_URL, { workerData, execArgv: [] });
      worker.on('message', (message: FromHashWorker) => this.#onMessage(message));
      worker.on('error', (error) => this.#fail(this.#workerError(error)));
      worker.on('messageerror', (error) => this.#fail(this.#workerError(error)));
      worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(this.#workerError(new Error(`the hash worker exited with code ${code}`)));
      });
      this.#worker = worker;
    } else {
      for (let index = 0; index < slotCount; index += 1) this.#slots.push(Buffer.allocUnsafe(slotBytes));
      this.#inline = { whole: createHash('sha512'), file: undefined, digests: [] };
    }
    for (let index = 0; index < slotCount; index += 1) this.#free.push(index);
  }

  /** A free slot; waits while all are in flight. */
  acquire(): Promise<HashSlot> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const slot = this.tryAcquire();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Slots submitted and not hashed yet: how far the hashing thread is behind. */
  get backlog(): number {
    return this.#unhashed;
  }

  /** A free slot right now, or undefined (lets a caller start a read without a microtask hop). */
  tryAcquire(): HashSlot | undefined {
    this.#throwIfFailed();
    const index = this.#free.shift();
    return index === undefined ? undefined : this.#slot(index);
  }

  /**
   * Hash the first `length` bytes of `slot`; `segments` are `[start, end, flags]` triples of
   * file content within them. The slot is reused only after `hold` (if any) settles; a
   * rejected hold fails the hasher with its error.
   */
  submit(slot: HashSlot, length: number, segments: readonly number[], callerHold?: Promise<unknown>): void {
    this.#throwIfFailed();
    const chunk = slot.buffer.subarray(0, length);
    const copyAt = this.#copy?.claim(length) ?? -1;
    const direct = copyAt < 0 ? undefined : this.#copy?.writeDirect(chunk, copyAt);
    const hold = direct === undefined ? callerHold : callerHold === undefined ? direct : Promise.all([callerHold, direct]);
    const state = { hashed: false, held: hold === undefined };
    this.#pending.set(slot.index, state);
    this.#unhashed += 1;
    if (hold !== undefined) {
      this.#holds.add(hold);
      hold.then(
        () => {
          this.#holds.delete(hold);
          state.held = true;
          if (state.hashed) this.#release(slot.index);
        },
        (error: unknown) => {
          this.#holds.delete(hold);
          this.#fail(error);
        },
      );
    }
    const buffered = direct === undefined ? copyAt : -1;
    if (this.#inline !== undefined) {
      if (buffered >= 0 && this.#copy !== undefined) this.#copyInline(chunk, buffered, this.#copy.fd);
      this.#hashInline(chunk, segments);
      this.#onHashed(slot.index);
    } else {
      this.#post({ type: 'chunk', slot: slot.index, length, segments, copyAt: buffered });
    }
  }

  /** The digests, once every submitted slot is hashed and released. Submit nothing after. */
  async finish(): Promise<TarHashes> {
    this.#throwIfFailed();
    let hashes: TarHashes;
    const inline = this.#inline;
    if (inline !== undefined) {
      hashes = { sha512: inline.whole.digest('hex'), fileDigests: inline.digests };
    } else {
      hashes = await new Promise<TarHashes>((resolve, reject) => {
        this.#result = { resolve, reject };
        this.#post({ type: 'finish' });
      });
    }
    await Promise.all(this.#holds);
    this.#throwIfFailed();
    return hashes;
  }

  /** Stop the worker and wait for attached holds to settle. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail(runtimeFailure('ERR_HASHER_CLOSED', `${this.#label}: hashing was stopped`));
    if (this.#worker !== undefined) await this.#worker.terminate();
    await Promise.allSettled(this.#holds);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  #slot(index: number): HashSlot {
    const buffer = this.#slots[index];
    if (buffer === undefined) throw new Error(`tar hasher: no slot ${index}`);
    return { index, buffer };
  }

  #post(message: ToHashWorker): void {
    this.#worker?.postMessage(message);
  }

  #onMessage(message: FromHashWorker): void {
    if (message.type === 'done') {
      this.#onHashed(message.slot);
      return;
    }
    if (message.type === 'copy-failed') {
      this.#fail(copyError(this.#label, Object.assign(new Error(message.message), { code: message.code })));
      return;
    }
    const digests: string[] = [];
    const bytes = Buffer.from(message.digests.buffer, message.digests.byteOffset, message.digests.byteLength);
    for (let offset = 0; offset < bytes.length; offset += FILE_DIGEST_BYTES) {
      digests.push(bytes.toString('hex', offset, offset + FILE_DIGEST_BYTES));
    }
    this.#result?.resolve({ sha512: message.sha512, fileDigests: digests });
    this.#result = undefined;
  }

  #onHashed(index: number): void {
    const state = this.#pending.get(index);
    if (state === undefined || state.hashed) return;
    state.hashed = true;
    this.#unhashed -= 1;
    if (state.held) this.#release(index);
  }

  #release(index: number): void {
    this.#pending.delete(index);
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#free.push(index);
    else waiter.resolve(this.#slot(index));
  }

  #hashInline(chunk: Buffer, segments: readonly number[]): void {
    const inline = this.#inline;
    if (inline === undefined) return;
    inline.whole.update(chunk);
    for (let index = 0; index + 2 < segments.length; index += 3) {
      const start = segments[index] ?? 0;
      const end = segments[index + 1] ?? 0;
      const flags = segments[index + 2] ?? 0;
      if ((flags & SEGMENT_START) !== 0) inline.file = createHash('sha256');
      if (inline.file === undefined) throw new Error('tar hasher: file content before its start');
      if (end > start) inline.file.update(chunk.subarray(start, end));
      if ((flags & SEGMENT_END) !== 0) {
        inline.digests.push(inline.file.digest('hex'));
        inline.file = undefined;
      }
    }
  }

  #copyInline(chunk: Buffer, at: number, fd: number): void {
    try {
      writeAt(fd, chunk, at);
    } catch (error) {
      const failure = copyError(this.#label, error);
      this.#fail(failure);
      throw failure;
    }
  }

  #workerError(cause: unknown): Error {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return runtimeFailure('ERR_HASH_WORKER_FAILED', `${this.#label}: the hashing worker thread failed: ${detail}`, { cause });
  }

  /** Record the first failure and wake everyone waiting. */
  #fail(cause: unknown): void {
    if (this.#failure !== undefined) return;
    const error = cause instanceof Error ? cause : new Error(String(cause));
    this.#failure = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    this.#result?.reject(error);
    this.#result = undefined;
  }
}
