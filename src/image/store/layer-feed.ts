/**
 * @module store/layer-feed — the bytes of a layer blob handed from its download to its unpack
 * while they arrive, so a pull reads, hashes and unpacks each byte in one pass instead of
 * writing the blob, reading it back and unpacking it after the download.
 *
 * The download side {@link LayerFeed.write}s every chunk it writes to the blob file, with the
 * chunk's position in the blob; the unpack side iterates {@link LayerFeed.chunks}. At most
 * {@link FEED_HIGH_WATER} bytes wait between them: past that, `write` resolves only when the
 * reader has caught up, so memory stays flat whatever the layer size (the socket is not read
 * meanwhile). Only a gapless stream from byte 0 is usable: a download that starts over (a
 * refused range, another mirror) or resumes from a partial file the feed never saw makes the
 * reader fail with {@link FeedDiscontinuity}, and the caller unpacks the finished blob file
 * instead. The bytes are verified only when the download ends (its digest), so what the feed
 * unpacked counts only once that download succeeded.
 */

/** Bytes buffered between the download and the unpack before `write` waits. */
export const FEED_HIGH_WATER = 256 * 1024;

/** The stream was not a gapless copy of the blob from its first byte: unpack the file instead. */
export class FeedDiscontinuity extends Error {
  constructor(detail: string) {
    super(`the download of the layer did not arrive as one stream (${detail})`);
    this.name = 'FeedDiscontinuity';
  }
}

type End = { readonly kind: 'complete' } | { readonly kind: 'failed'; readonly error: unknown };

/** One layer blob's bytes, from its download to its unpack. */
export class LayerFeed {
  readonly #queue: Buffer[] = [];
  #queued = 0;
  /** Blob position right after the last chunk accepted. */
  #expected = 0;
  #end: End | undefined;
  #readerGone = false;
  #wakeReader: (() => void) | undefined;
  #wakeWriters: (() => void)[] = [];

  /**
   * Called by the download with each chunk (after or while writing it to the blob file) and
   * the chunk's position in the blob. Resolves when the chunk may be followed by the next one.
   */
  write(chunk: Buffer, position: number): Promise<void> {
    if (this.#readerGone || this.#end !== undefined) return Promise.resolve();
    if (position !== this.#expected) {
      this.fail(new FeedDiscontinuity(`a chunk at byte ${position} where byte ${this.#expected} was due`));
      return Promise.resolve();
    }
    this.#expected += chunk.length;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    this.#wake();
    if (this.#queued <= FEED_HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.#wakeWriters.push(resolve));
  }

  /** The download finished and was verified as `size` bytes. */
  complete(size: number): void {
    if (this.#end !== undefined) return;
    if (size !== this.#expected) this.#end = { kind: 'failed', error: new FeedDiscontinuity(`${this.#expected} of ${size} bytes came through the stream`) };
    else this.#end = { kind: 'complete' };
    this.#wake();
  }

  /** The download failed (or the pull is aborted): the reader fails with `error`. */
  fail(error: unknown): void {
    if (this.#end !== undefined) return;
    this.#end = { kind: 'failed', error };
    this.#queue.length = 0;
    this.#queued = 0;
    this.#wake();
    this.#releaseWriters();
  }

  /** Nobody will read (the layer's tree is already there): writes no longer wait. */
  detach(): void {
    this.#readerGone = true;
    this.#queue.length = 0;
    this.#queued = 0;
    this.#releaseWriters();
  }

  /** The blob's bytes in order; ends when the download completed, throws when it failed. */
  async *chunks(signal?: AbortSignal): AsyncGenerator<Buffer> {
    const onAbort = (): void => this.fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted === true) onAbort();
      for (;;) {
        const chunk = this.#queue.shift();
        if (chunk !== undefined) {
          this.#queued -= chunk.length;
          if (this.#queued <= FEED_HIGH_WATER) this.#releaseWriters();
          yield chunk;
          continue;
        }
        if (this.#end?.kind === 'failed') throw this.#end.error;
        if (this.#end?.kind === 'complete') return;
        await new Promise<void>((resolve) => {
          this.#wakeReader = resolve;
        });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // A reader that stopped (its unpack failed) must not hold the download up.
      this.detach();
    }
  }

  #wake(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }

  #releaseWriters(): void {
    const writers = this.#wakeWriters;
    this.#wakeWriters = [];
    for (const resolve of writers) resolve();
  }
}
