/**
 * @module tar-copy — the copy of the uncompressed tar that an import keeps as the image's blob,
 * written from the hashing ring's slots. Aligned chunks go with O_DIRECT straight from the ring
 * to the disk, asynchronously on libuv's thread pool: no page-cache copy (the largest CPU cost
 * of the blob), and the final syncfs has that much less to flush. The rest (the unaligned tail,
 * or everything where the filesystem has no direct I/O) is written buffered by whoever hashes
 * the slot.
 */
import { write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { errnoCode, runtimeFailure } from '../../util/index.js';

const writeAsync = promisify(write);

/** Offsets, lengths and buffers written with O_DIRECT are multiples of this (covers 4K-sector disks). */
export const DIRECT_IO_ALIGN = 4096;

/** Where the stream is copied: a new file, opened for writing. */
export interface CopyTarget {
  readonly fd: number;
  /** The same file opened with O_DIRECT, where the filesystem allows it. */
  readonly directFd?: number | undefined;
}

/** Write all of `chunk` at offset `at` of `fd`. */
export function writeAt(fd: number, chunk: Buffer, at: number): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset, at + offset);
}

/** The error every failed write of the copy becomes. */
export function copyError(label: string, cause: unknown): Error {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return runtimeFailure('ERR_TAR_COPY_FAILED', `${label}: cannot store the copy of the tar: ${detail}`, { cause });
}

type SharedMemoryConstructor = new (descriptor: { initial: number; maximum: number; shared: true }) => { readonly buffer: SharedArrayBuffer };
const WASM_PAGE_BYTES = 64 * 1024;

/**
 * Shared memory for the ring; page-aligned when `aligned` (for direct I/O): a plain
 * SharedArrayBuffer is not (malloc puts a header before it), a shared WebAssembly memory is.
 */
export function allocateRing(bytes: number, aligned: boolean): SharedArrayBuffer {
  const memory = (globalThis as { WebAssembly?: { Memory?: SharedMemoryConstructor } }).WebAssembly?.Memory;
  if (aligned && memory !== undefined) {
    const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
    try {
      return new memory({ initial: pages, maximum: pages, shared: true }).buffer;
    } catch (error) {
      // No address space for it (a ulimit): direct writes then fail with EINVAL and fall back.
      if (!(error instanceof RangeError)) throw error;
    }
  }
  return new SharedArrayBuffer(bytes);
}

/** Places consecutive chunks of the stream in the copy. */
export class StreamCopy {
  readonly #target: CopyTarget;
  readonly #label: string;
  #direct: boolean;
  #position = 0;

  constructor(target: CopyTarget, label: string) {
    this.#target = target;
    this.#label = label;
    this.#direct = target.directFd !== undefined;
  }

  get fd(): number {
    return this.#target.fd;
  }

  /** The offset of the next chunk of `length` bytes. */
  claim(length: number): number {
    const at = this.#position;
    this.#position += length;
    return at;
  }

  /**
   * Write `chunk` at `at` with direct I/O in the background; undefined when it does not qualify
   * (then the caller writes it buffered). The chunk must stay untouched until the promise settles.
   */
  writeDirect(chunk: Buffer, at: number): Promise<void> | undefined {
    const { directFd } = this.#target;
    if (!this.#direct || directFd === undefined || at % DIRECT_IO_ALIGN !== 0 || chunk.length % DIRECT_IO_ALIGN !== 0) return undefined;
    return this.#writeDirect(directFd, chunk, at);
  }

  async #writeDirect(directFd: number, chunk: Buffer, at: number): Promise<void> {
    let offset = 0;
    try {
      while (offset < chunk.length) {
        const { bytesWritten } = await writeAsync(directFd, chunk, offset, chunk.length - offset, at + offset);
        offset += bytesWritten;
        // A short direct write leaves an unaligned rest: write that buffered.
        if (offset % DIRECT_IO_ALIGN !== 0) break;
      }
      if (offset < chunk.length) writeAt(this.#target.fd, chunk.subarray(offset), at + offset);
    } catch (error) {
      // EINVAL: the memory or the filesystem does not allow direct I/O after all.
      if (errnoCode(error) !== 'EINVAL') throw copyError(this.#label, error);
      this.#direct = false;
      try {
        writeAt(this.#target.fd, chunk.subarray(offset), at + offset);
      } catch (fallbackError) {
        throw copyError(this.#label, fallbackError);
      }
    }
  }
}
