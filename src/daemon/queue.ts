/**
 * @module daemon/queue — controller-runtime's work queue: keys marked dirty, each processed by
 * one worker at a time (a key never runs twice at once), a key marked again while it runs runs
 * once more afterwards, and at most `concurrency` keys run together.
 */
export type KeyHandler = (key: string) => Promise<void>;

export class KeyedQueue {
  private readonly dirty = new Set<string>();
  private readonly running = new Set<string>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handler: KeyHandler,
    private readonly concurrency: number,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  /** Marks `key` dirty; it is processed as soon as a worker is free and it is not running. */
  add(key: string): void {
    this.dirty.add(key);
    this.pump();
  }

  get size(): number {
    return this.dirty.size + this.running.size;
  }

  /** Resolves when nothing is dirty or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    for (const key of this.dirty) {
      if (this.running.size >= this.concurrency) break;
      if (this.running.has(key)) continue;
      this.dirty.delete(key);
      this.running.add(key);
      void this.run(key);
    }
    if (this.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.handler(key);
    } catch (error) {
      this.onError(key, error);
    } finally {
      this.running.delete(key);
      this.pump();
    }
  }
}
