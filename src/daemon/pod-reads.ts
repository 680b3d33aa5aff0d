/**
 * @module daemon/pod-reads — what the reconciler knows of each pod's units, and when it must
 * ask systemd again: the read kept per pod, the start-up resync's read handed to each pod's
 * first reconcile, and whether unit signals since the kept read make a new one necessary
 * (read-coverage.ts). A pod queued for anything but its unit signals (a file, a resync, a
 * timer) always reads afresh.
 */
import type { SystemdManager } from '../systemd/index.js';
import type { ActualPod } from './actual.js';
import { readActualPod } from './actual.js';
import { ReadCoverage } from './read-coverage.js';

export class PodUnitReads {
  readonly #kept = new Map<string, ActualPod>();
  /** The start-up resync's read, for each pod's first reconcile (undefined: no units). */
  #handedOver = new Map<string, ActualPod | undefined>();
  readonly #coverage = new ReadCoverage();
  readonly #queuedForOther = new Set<string>();

  constructor(private readonly manager: SystemdManager) {}

  /** The kept read of every pod that has units. */
  get all(): ReadonlyMap<string, ActualPod> {
    return this.#kept;
  }

  get(pod: string): ActualPod | undefined {
    return this.#kept.get(pod);
  }

  /** `pod` was queued for a reason other than its unit signals: its next reconcile reads afresh. */
  queuedForOther(pod: string): void {
    this.#queuedForOther.add(pod);
  }

  /** A unit signal of `pod` arrived: neither the handed-over read nor an older kept one covers it. */
  signalled(pod: string): void {
    this.#handedOver.delete(pod);
    this.#coverage.signalled(pod);
  }

  /**
   * The units a reconcile of `pod` starts from: the handed-over start-up read, else the kept
   * read when only unit signals that it covers queued the pod, else a fresh read.
   */
  async forReconcile(pod: string): Promise<ActualPod | undefined> {
    const handedOver = this.#handedOver.has(pod);
    const read = this.#handedOver.get(pod);
    this.#handedOver.delete(pod);
    const forOther = this.#queuedForOther.delete(pod);
    if (handedOver) return read;
    if (!forOther && this.#coverage.covers(pod)) return this.#kept.get(pod);
    return this.read(pod);
  }

  /** `pod`'s units, read from systemd now; pass the result to {@link keep}. */
  async read(pod: string): Promise<ActualPod | undefined> {
    const covered = this.#coverage.beginRead(pod);
    const actual = await readActualPod(this.manager, pod);
    covered();
    return actual;
  }

  /** Keeps `actual` as what `pod`'s units are; undefined (no units) also forgets its signal bookkeeping. */
  keep(pod: string, actual: ActualPod | undefined): void {
    if (actual !== undefined) {
      this.#kept.set(pod, actual);
      return;
    }
    this.#kept.delete(pod);
    this.#coverage.forget(pod);
  }

  /** Hands a full read to each pod's next reconcile (start-up, where nothing is in flight yet). */
  handOver(pod: string, actual: ActualPod | undefined): void {
    this.#handedOver.set(pod, actual);
  }

  /** Drops every hand-over (a new start-up read replaces them). */
  clearHandOvers(): void {
    this.#handedOver = new Map();
  }
}
