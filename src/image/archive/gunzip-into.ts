/**
 * @module gunzip-into — gzip decompression straight into caller-owned buffers (the slots of the
 * hashing ring), for imports of gzip ACIs.
 *
 * Node's zlib stream allocates a fresh output buffer per chunk: 200 MB of output is 200 MB of
 * short-lived buffers outside the V8 heap, and V8 lets tens of MB of them pile up before it
 * collects (a gzip import peaked ~40 MB above an uncompressed one). Here the same native
 * inflater writes into the target buffer, and compressed input is read into two reused
 * buffers: no garbage per chunk, and no copy from zlib's buffer into the slot.
 *
 * That uses the zlib object's synchronous `_handle.writeSync` (what zlib.gunzipSync runs on;
 * node-tar's minizlib relies on the same internals). Where a Node version lacks them,
 * {@link GunzipInto.create} returns undefined and the caller keeps the zlib stream. Errors come
 * from the same native code as the stream's (Z_BUF_ERROR at a truncated end, Z_DATA_ERROR …),
 * so they are mapped the same way. The inflating runs on the calling thread; the input reads run
 * ahead on libuv's pool.
 */
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';
import type { Gunzip } from 'node:zlib';

/** The native inflater's synchronous call: [avail_out, avail_in] land in the write state. */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void;
}

interface ZlibInternals {
  readonly _handle?: ZlibHandle | null;
  readonly _writeState?: unknown;
}

/** Supplies compressed input: the next chunk (the previous one is no longer used), or undefined at the end. */
export type CompressedInput = () => Promise<Uint8Array | undefined>;

const EMPTY = new Uint8Array(0);

/** Inflates a gzip stream into the buffers given to {@link fill}. Always {@link close} it. */
// node:zlib is required on first use (synchronously, as create() is): importing it costs
// every importer of the image layer ~8 ms, and only gzip imports need it.
let zlibModule: typeof Zlib | undefined;
function zlib(): typeof Zlib {
  zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib;
  return zlibModule;
}

export class GunzipInto {
  readonly #gunzip: Gunzip;
  readonly #handle: ZlibHandle;
  readonly #state: Uint32Array;
  readonly #next: CompressedInput;
  #input: Uint8Array = EMPTY;
  #inputEnded = false;
  #finished = false;
  #failure: Error | undefined;

  private constructor(gunzip: Gunzip, handle: ZlibHandle, state: Uint32Array, next: CompressedInput) {
    this.#gunzip = gunzip;
    this.#handle = handle;
    this.#state = state;
    this.#next = next;
    // The native error handler destroys the stream with the error, which is then emitted.
    gunzip.on('error', (error: Error) => {
      this.#failure ??= error;
    });
  }

  /** A decompressor reading from `next`, or undefined when this Node's zlib lacks the internals. */
  static create(next: CompressedInput): GunzipInto | undefined {
    const gunzip = zlib().createGunzip();
    const { _handle: handle, _writeState: state } = gunzip as unknown as ZlibInternals;
    if (handle === null || handle === undefined || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
      gunzip.close();
      return undefined;
    }
    return new GunzipInto(gunzip, handle, state, next);
  }

  /**
   * Fill `target` from the start with decompressed bytes; resolves to the bytes placed (fewer
   * only at the end, 0 after it). Rejects with zlib's error (its `code` is Z_BUF_ERROR when the
   * data ends early, another Z_ code when it is corrupt).
   */
  async fill(target: Buffer): Promise<number> {
    let filled = 0;
    while (filled < target.length && !this.#finished) {
      if (this.#input.length === 0 && !this.#inputEnded) {
        const next = await this.#next();
        if (next === undefined) this.#inputEnded = true;
        else this.#input = next;
      }
      const room = target.length - filled;
      // Z_FINISH once the input is exhausted: a stream that has not reached its end then fails
      // with Z_BUF_ERROR ("unexpected end of file") instead of waiting for more.
      const flush = this.#inputEnded ? zlib().constants.Z_FINISH : zlib().constants.Z_NO_FLUSH;
      this.#handle.writeSync(flush, this.#input, 0, this.#input.length, target, filled, room);
      const failure = this.#failure ?? this.#gunzip.errored ?? undefined;
      if (failure !== undefined) throw failure;
      const availOut = this.#state[0] ?? 0;
      const availIn = this.#state[1] ?? 0;
      filled += room - availOut;
      this.#input = this.#input.subarray(this.#input.length - availIn);
      // Room left but input not taken: the gzip data has ended and what follows is padding
      // (zlib continues on its own into a further gzip member). Node's stream stops there too.
      if (availOut > 0 && (this.#inputEnded || availIn > 0)) this.#finished = true;
    }
    return filled;
  }

  close(): void {
    this.#gunzip.close();
  }
}
