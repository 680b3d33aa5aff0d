/**
 * @module daemon/start-backoff — per pod and spec hash, the back-off of a failed pull or start:
 * 10 s doubling to 5 min, as kubelet's image pull back-off. A new hash starts over. Timers only
 * re-enqueue the pod; the retry itself happens in its reconcile.
 */

export const BACKOFF_FIRST_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Backoff {
  readonly hash: string;
  readonly attempts: number;
  readonly retryAt: number;
  readonly timer: NodeJS.Timeout;
}

export class StartBackoff {
  private readonly entries = new Map<string, Backoff>();

  constructor(
    private readonly firstMs: number,
    private readonly enqueue: (pod: string) => void,
  ) {}

  /** True while version `hash` of `pod` waits for its retry (its timer re-enqueues it). */
  held(pod: string, hash: string): boolean {
    const entry = this.entries.get(pod);
    return entry !== undefined && entry.hash === hash && entry.retryAt > Date.now();
  }

  /** Version `hash` of `pod` failed again: when it is retried, and how many failures in a row. */
  failed(pod: string, hash: string): { readonly delayMs: number; readonly attempts: number; readonly retryAt: number } {
    const previous = this.entries.get(pod);
    const attempts = previous?.hash === hash ? previous.attempts + 1 : 1;
    const delayMs = Math.min(this.firstMs * 2 ** (attempts - 1), BACKOFF_MAX_MS);
    if (previous !== undefined) clearTimeout(previous.timer);
    const timer = setTimeout(() => this.enqueue(pod), delayMs);
    timer.unref();
    const retryAt = Date.now() + delayMs;
    this.entries.set(pod, { hash, attempts, retryAt, timer });
    return { delayMs, attempts, retryAt };
  }

  clear(pod: string): void {
    const entry = this.entries.get(pod);
    if (entry !== undefined) clearTimeout(entry.timer);
    this.entries.delete(pod);
  }

  clearAll(): void {
    for (const pod of [...this.entries.keys()]) this.clear(pod);
  }

  stop(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
  }
}
