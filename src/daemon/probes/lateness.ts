/**
 * @module daemon/probes/lateness — how late probes start against their schedule (the issue's
 * "no probe late by more than one period"), kept as counters for the status file and the bench.
 */

export interface ProbeLatenessStats {
  readonly runs: number;
  readonly maxLateMs: number;
  /** Runs that started more than one period late. */
  readonly latePastPeriod: number;
  /** Runs that started more than one second late. */
  readonly lateOverSecond: number;
}

export class ProbeLateness {
  #runs = 0;
  #max = 0;
  #pastPeriod = 0;
  #overSecond = 0;

  record(periodSeconds: number, lateMs: number): void {
    this.#runs++;
    if (lateMs > this.#max) this.#max = lateMs;
    if (lateMs > periodSeconds * 1000) this.#pastPeriod++;
    if (lateMs > 1000) this.#overSecond++;
  }

  stats(): ProbeLatenessStats {
    return { runs: this.#runs, maxLateMs: this.#max, latePastPeriod: this.#pastPeriod, lateOverSecond: this.#overSecond };
  }
}
