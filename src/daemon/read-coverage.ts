/**
 * @module daemon/read-coverage — whether the daemon's last read of a pod's units already
 * reflects every unit signal of that pod, so a reconcile triggered by those signals alone can
 * reuse the read instead of asking systemd again.
 *
 * Signals are counted as they arrive. A signal counted before a read began is reflected in that
 * read: systemd sent it before it received the read's call, so before it answered, and its
 * messages reach the daemon in order on one connection. A pod start brings a burst of signals
 * while the daemon itself starts the units and reads them afterwards; without this, each burst
 * cost one more read (a unit listing plus Properties.Get per app) per pod.
 */
export class ReadCoverage {
  #signals = 0;
  /** Per pod: the count of its latest unit signal. */
  readonly #lastSignal = new Map<string, number>();
  /** Per pod: the signal count when the read the caller keeps began. */
  readonly #readFrom = new Map<string, number>();

  /** A unit signal of `pod` arrived. */
  signalled(pod: string): void {
    this.#lastSignal.set(pod, ++this.#signals);
  }

  /** A read of `pod`'s units begins; call the result once its outcome is kept. */
  beginRead(pod: string): () => void {
    const from = this.#signals;
    return () => {
      this.#readFrom.set(pod, from);
    };
  }

  /** True when the kept read of `pod` began after its latest unit signal. */
  covers(pod: string): boolean {
    const from = this.#readFrom.get(pod);
    return from !== undefined && (this.#lastSignal.get(pod) ?? 0) <= from;
  }

  /** Drops what is known about `pod` (its units are gone): its next read is a fresh one. */
  forget(pod: string): void {
    this.#lastSignal.delete(pod);
    this.#readFrom.delete(pod);
  }
}
