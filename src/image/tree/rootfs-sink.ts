/**
 * @module rootfs-sink — how the ACI reader hands rootfs entries on. A {@link RootfsSink} is
 * pushed to: begin, the content in pieces that point into the reader's buffers, end. That lets
 * the tree writer write straight from the read buffer with no promise per piece. The older
 * pull style ({@link RootfsEntryHandler}: an async iterable body per entry) still works through
 * {@link HandlerSink}, which copies each piece and waits for the handler to take it.
 */
import type { TarEntry } from '../archive/tar-entry.js';

/** Receives rootfs entries in archive order at their rootfs-relative path (`''` is rootfs itself). */
export interface RootfsSink {
  /** An entry begins; a regular file's content follows through {@link data}. */
  begin(rel: string, entry: TarEntry): void | Promise<void>;
  /** A piece of the current file. `chunk` is valid only until the call returns (or its promise settles). */
  data(chunk: Buffer): void | Promise<void>;
  /** The current entry is complete. */
  end(): void | Promise<void>;
  /** Reading failed: release whatever the current entry holds (called at most once, instead of end). */
  abort(error: unknown): void;
}

/** Receives each entry under rootfs/ at its rootfs-relative path (`''` for rootfs itself). */
export type RootfsEntryHandler = (rel: string, entry: TarEntry, body: AsyncIterable<Buffer>) => Promise<void>;

type Settled = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** A body with room for one chunk: push waits until the consumer has taken the previous one. */
class BodyChannel implements AsyncIterable<Buffer> {
  #chunk: Buffer | undefined;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;

  /** Resolves once the chunk is taken. */
  push(chunk: Buffer): Promise<void> {
    this.#chunk = chunk;
    this.#wake();
    return new Promise((resolve) => {
      this.#wakeProducer = resolve;
    });
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  fail(error: unknown): void {
    this.#failure = { error };
    this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure.error;
      const chunk = this.#chunk;
      if (chunk !== undefined) {
        this.#chunk = undefined;
        const taken = this.#wakeProducer;
        this.#wakeProducer = undefined;
        taken?.();
        yield chunk;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve;
      });
    }
  }
}

/** Adapts a pull-style {@link RootfsEntryHandler} to a {@link RootfsSink}. */
export class HandlerSink implements RootfsSink {
  readonly #handler: RootfsEntryHandler;
  #current: { channel: BodyChannel; settled: Promise<Settled> } | undefined;

  constructor(handler: RootfsEntryHandler) {
    this.#handler = handler;
  }

  begin(rel: string, entry: TarEntry): void {
    const channel = new BodyChannel();
    const settled = this.#handler(rel, entry, channel).then(
      (): Settled => ({ ok: true }),
      (error: unknown): Settled => ({ ok: false, error }),
    );
    this.#current = { channel, settled };
  }

  async data(chunk: Buffer): Promise<void> {
    const current = this.#expectCurrent();
    // The copy lets the handler keep the chunk; the wait keeps at most one chunk queued.
    const taken = current.channel.push(Buffer.from(chunk)).then((): Settled | undefined => undefined);
    const outcome = await Promise.race([taken, current.settled]);
    if (outcome !== undefined && !outcome.ok) throw outcome.error;
  }

  async end(): Promise<void> {
    const current = this.#expectCurrent();
    this.#current = undefined;
    current.channel.end();
    const outcome = await current.settled;
    if (!outcome.ok) throw outcome.error;
  }

  abort(error: unknown): void {
    this.#current?.channel.fail(error);
    this.#current = undefined;
  }

  #expectCurrent(): { channel: BodyChannel; settled: Promise<Settled> } {
    if (this.#current === undefined) throw new Error('rootfs sink: content outside an entry');
    return this.#current;
  }
}
