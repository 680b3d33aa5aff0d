/**
 * @module writeback — start flushing an import's data to disk while it is still being written.
 * An import must make blob and tree durable before it commits, and one syncfs at the end then
 * waits for the disk to take everything at once (≈ 400 MB for a 200 MB image: blob + tree).
 * Kicking off a syncfs every so many bytes lets the disk work while the CPU extracts and
 * hashes, so the final syncfs has only the tail left. At most one runs at a time.
 */
import { syncFileSystem } from './tree-store.js';

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** Tracks bytes written under `dir` and flushes its filesystem in the background. */
export class EarlyWriteback {
  readonly #dir: string;
  readonly #everyBytes: number;
  #pendingBytes = 0;
  #running: Promise<Outcome> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(dir: string, everyBytes: number) {
    this.#dir = dir;
    this.#everyBytes = everyBytes;
  }

  /** Count `bytes` more written; starts a flush when enough piled up and none is running. */
  wrote(bytes: number): void {
    this.#pendingBytes += bytes;
    if (this.#pendingBytes < this.#everyBytes || this.#running !== undefined) return;
    this.#pendingBytes = 0;
    const running = syncFileSystem(this.#dir).then(
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

  /** Wait for a running flush, ignoring failures (cleanup after another error). */
  async drain(): Promise<void> {
    await this.#running;
  }
}
