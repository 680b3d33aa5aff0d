/**
 * @module pod/probe/probe-state — one container's probe verdicts, as kubelet keeps them (pure:
 * no timers, no I/O; the scheduler feeds it results).
 *
 * - Until the startup probe succeeds once, only it runs; `failureThreshold` failures in a row
 *   kill the container. A container without one counts as started at once.
 * - Then liveness and readiness run. `failureThreshold` liveness failures in a row kill the
 *   container (and probing stops until it runs again: a new state).
 * - Readiness starts false; `successThreshold` successes in a row make it true,
 *   `failureThreshold` failures in a row make it false. A container without a readiness probe is
 *   ready once started.
 */
import type { ContainerProbes, ProbeKind } from '../../podfile/index.js';

/** What one probe run found. */
export type ProbeResult = { readonly ok: true; readonly output?: string } | { readonly ok: false; readonly reason: string; readonly output?: string };

/** A change worth a journal line. */
export type ProbeTransition =
  | { readonly kind: 'started' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'not-ready'; readonly reason: string }
  /** First failure after a success (or the first run): counting towards the threshold. */
  | { readonly kind: 'failing'; readonly probe: ProbeKind; readonly reason: string; readonly count: number; readonly threshold: number }
  | { readonly kind: 'kill'; readonly probe: 'startup' | 'liveness'; readonly reason: string; readonly count: number };

/** What a container's probes say now (shown by `rocklet pods --wide`). */
export interface ProbeSummary {
  readonly started: boolean;
  readonly ready: boolean;
  /** The startup or liveness probe crossed its threshold: the container is being restarted. */
  readonly killed: boolean;
  /** The latest failure of a probe still failing, with its count of failures in a row. */
  readonly failing?: { readonly probe: ProbeKind; readonly reason: string; readonly count: number; readonly threshold: number };
}

interface Counter {
  successes: number;
  failures: number;
  lastReason?: string;
}

export class ContainerProbeState {
  readonly #probes: ContainerProbes;
  #started: boolean;
  #ready: boolean;
  #killed = false;
  readonly #counters: Record<ProbeKind, Counter> = { startup: { successes: 0, failures: 0 }, liveness: { successes: 0, failures: 0 }, readiness: { successes: 0, failures: 0 } };

  constructor(probes: ContainerProbes) {
    this.#probes = probes;
    this.#started = probes.startup === undefined;
    this.#ready = this.#started && probes.readiness === undefined;
  }

  /** Whether probe `kind` runs now (it exists, the container was not killed, and startup gates the others). */
  active(kind: ProbeKind): boolean {
    if (this.#probes[kind] === undefined || this.#killed) return false;
    return kind === 'startup' ? !this.#started : this.#started;
  }

  get started(): boolean {
    return this.#started;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get killed(): boolean {
    return this.#killed;
  }

  summary(): ProbeSummary {
    let failing: ProbeSummary['failing'];
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const counter = this.#counters[kind];
      const probe = this.#probes[kind];
      if (probe !== undefined && counter.failures > 0 && (kind !== 'startup' || !this.#started)) {
        failing = { probe: kind, reason: counter.lastReason ?? '', count: counter.failures, threshold: probe.failureThreshold };
        break;
      }
    }
    return { started: this.#started, ready: this.#ready, killed: this.#killed, ...(failing === undefined ? {} : { failing }) };
  }

  /** Records one run of probe `kind`; returns the transitions it caused, in order. Results of inactive probes are ignored. */
  record(kind: ProbeKind, result: ProbeResult): ProbeTransition[] {
    const probe = this.#probes[kind];
    if (probe === undefined || !this.active(kind)) return [];
    const counter = this.#counters[kind];
    const transitions: ProbeTransition[] = [];
    if (result.ok) {
      counter.successes++;
      counter.failures = 0;
      delete counter.lastReason;
      if (kind === 'startup') {
        this.#started = true;
        transitions.push({ kind: 'started' });
        if (this.#probes.readiness === undefined) {
          this.#ready = true;
          transitions.push({ kind: 'ready' });
        }
      } else if (kind === 'readiness' && !this.#ready && counter.successes >= probe.successThreshold) {
        this.#ready = true;
        transitions.push({ kind: 'ready' });
      }
      return transitions;
    }
    counter.successes = 0;
    counter.failures++;
    counter.lastReason = result.reason;
    if (counter.failures === 1 && counter.failures < probe.failureThreshold) {
      transitions.push({ kind: 'failing', probe: kind, reason: result.reason, count: 1, threshold: probe.failureThreshold });
    }
    if (counter.failures < probe.failureThreshold) return transitions;
    if (kind === 'readiness') {
      if (this.#ready || counter.failures === probe.failureThreshold) {
        // The first time the threshold is reached (also when the container never was ready).
        if (this.#ready) transitions.push({ kind: 'not-ready', reason: result.reason });
        this.#ready = false;
      }
      return transitions;
    }
    this.#killed = true;
    if (this.#ready) {
      this.#ready = false;
      transitions.push({ kind: 'not-ready', reason: `${kind} probe failed` });
    }
    transitions.push({ kind: 'kill', probe: kind, reason: result.reason, count: counter.failures });
    return transitions;
  }
}
