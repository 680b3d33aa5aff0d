/**
 * @module pod/probe/prober — runs one container's probes on Kubernetes' schedule: each probe
 * first at container start + initialDelaySeconds (never before the startup probe succeeded,
 * for liveness and readiness), then every periodSeconds; a run longer than the period delays
 * the next one instead of overlapping it. Each run is bounded by timeoutSeconds (a timeout is a
 * failure). Results go through {@link ContainerProbeState}; transitions and kills are handed to
 * the owner (the daemon's probe manager or the standalone supervisor).
 *
 * No process and no thread per probe: one timer per active probe, or, with an `offload` (the
 * daemon's native probe engine), no timer at all: the probe runs there on the same schedule and
 * only results that can change a verdict come back. A probe the offload cannot take (yet) runs
 * here for one period, and the next one is offered again.
 */
import type { ContainerProbes, ProbeKind, ProbeSpec } from '../../podfile/index.js';
import type { ProbeResult, ProbeSummary, ProbeTransition } from './probe-state.js';
import { ContainerProbeState } from './probe-state.js';
import { timedOutReason } from './probe-messages.js';

/** Runs one probe once; must settle by itself (the prober also aborts `signal` at the timeout). */
export type ProbeRunner = (kind: ProbeKind, probe: ProbeSpec, signal: AbortSignal) => Promise<ProbeResult>;

export interface ProberClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_CLOCK: ProberClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ProberHooks {
  onTransitions(transitions: readonly ProbeTransition[]): void;
  /**
   * The summary changed without a transition (a failure counted towards its threshold, a
   * failing probe passing again): what `rocklet pods` shows is stale.
   */
  onSummaryChange?(): void;
  /** Called once per run: how late it started against its schedule (ms). */
  onRun?(kind: ProbeKind, latenessMs: number): void;
}

/** Runs one probe periodically elsewhere; results come back through `onResult`. */
export interface ProbeOffload {
  /**
   * Starts probe `kind` (its first run after `delayMs`, then every period, each bounded by its
   * timeout); returns the function that stops it, or undefined when it cannot take this probe now.
   */
  start(kind: ProbeKind, probe: ProbeSpec, delayMs: number, onResult: (result: ProbeResult) => void): Promise<(() => void) | undefined>;
}

export interface ProberOptions {
  readonly probes: ContainerProbes;
  readonly run: ProbeRunner;
  readonly hooks: ProberHooks;
  /** When the container started (ms since the epoch): initial delays count from here. */
  readonly startedAtMs: number;
  /**
   * Probing resumes for a container that was already running (a daemon restart): first runs are
   * spread over one period, as kubelet does after its own restart, so 1,000 pods do not probe at once.
   */
  readonly resumed?: boolean;
  readonly clock?: ProberClock;
  /** Random number in [0, 1) for the spread (tests pass a fixed one). */
  readonly random?: () => number;
  readonly offload?: ProbeOffload;
}

function sameSummary(a: ProbeSummary, b: ProbeSummary): boolean {
  return a.started === b.started && a.ready === b.ready && a.killed === b.killed && a.failing?.probe === b.failing?.probe && a.failing?.count === b.failing?.count && a.failing?.reason === b.failing?.reason;
}

export class ContainerProber {
  readonly #options: ProberOptions;
  readonly #clock: ProberClock;
  readonly #state: ContainerProbeState;
  readonly #timers = new Map<ProbeKind, unknown>();
  readonly #running = new Map<ProbeKind, AbortController>();
  /** Probes running on the offload: the function that stops each. */
  readonly #offloaded = new Map<ProbeKind, () => void>();
  #stopped = false;

  constructor(options: ProberOptions) {
    this.#options = options;
    this.#clock = options.clock ?? REAL_CLOCK;
    this.#state = new ContainerProbeState(options.probes);
  }

  get state(): ContainerProbeState {
    return this.#state;
  }

  summary(): ProbeSummary {
    return this.#state.summary();
  }

  start(): void {
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      if (this.#state.active(kind)) this.#schedule(kind, this.#firstDue(kind));
    }
  }

  /** Stops every timer and aborts running probes; no more transitions are reported. */
  stop(): void {
    this.#stopped = true;
    for (const handle of this.#timers.values()) this.#clock.clearTimeout(handle);
    this.#timers.clear();
    for (const controller of this.#running.values()) controller.abort();
    this.#running.clear();
    for (const stopOffloaded of this.#offloaded.values()) stopOffloaded();
    this.#offloaded.clear();
  }

  #probe(kind: ProbeKind): ProbeSpec | undefined {
    return this.#options.probes[kind];
  }

  #firstDue(kind: ProbeKind): number {
    const probe = this.#probe(kind);
    const now = this.#clock.now();
    if (probe === undefined) return now;
    const due = Math.max(this.#options.startedAtMs + probe.initialDelaySeconds * 1000, now);
    if (this.#options.resumed !== true) return due;
    return Math.max(due, now + Math.floor((this.#options.random ?? Math.random)() * probe.periodSeconds * 1000));
  }

  #schedule(kind: ProbeKind, due: number): void {
    if (this.#stopped) return;
    if (this.#options.offload !== undefined) {
      void this.#offload(this.#options.offload, kind, due);
      return;
    }
    this.#scheduleHere(kind, due);
  }

  async #offload(offload: ProbeOffload, kind: ProbeKind, due: number): Promise<void> {
    const probe = this.#probe(kind);
    if (probe === undefined) return;
    let stopOffloaded: (() => void) | undefined;
    try {
      stopOffloaded = await offload.start(kind, probe, due - this.#clock.now(), (result) => this.#record(kind, result));
    } catch {
      stopOffloaded = undefined; // the offload could not take it: it runs here
    }
    if (this.#stopped || !this.#state.active(kind)) {
      stopOffloaded?.();
      return;
    }
    if (stopOffloaded === undefined) this.#scheduleHere(kind, due);
    else this.#offloaded.set(kind, stopOffloaded);
  }

  #scheduleHere(kind: ProbeKind, due: number): void {
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(kind);
      void this.#runOnce(kind, due);
    }, Math.max(0, due - this.#clock.now()));
    this.#timers.set(kind, handle);
  }

  async #runOnce(kind: ProbeKind, due: number): Promise<void> {
    const probe = this.#probe(kind);
    if (probe === undefined || this.#stopped || !this.#state.active(kind)) return;
    const begun = this.#clock.now();
    this.#options.hooks.onRun?.(kind, begun - due);
    const controller = new AbortController();
    this.#running.set(kind, controller);
    const timeoutMs = probe.timeoutSeconds * 1000;
    let timer: unknown;
    const timedOut = new Promise<ProbeResult>((resolve) => {
      timer = this.#clock.setTimeout(() => {
        controller.abort();
        resolve({ ok: false, reason: timedOutReason(probe.timeoutSeconds) });
      }, timeoutMs);
    });
    let result: ProbeResult;
    try {
      result = await Promise.race([this.#options.run(kind, probe, controller.signal), timedOut]);
    } catch (error) {
      result = { ok: false, reason: error instanceof Error ? error.message : String(error) };
    } finally {
      this.#clock.clearTimeout(timer);
      this.#running.delete(kind);
    }
    if (this.#stopped) return;
    this.#record(kind, result);
    if (!this.#state.active(kind)) return;
    const period = probe.periodSeconds * 1000;
    const now = this.#clock.now();
    // Fixed rate; a run that overran its period starts the next one now instead of bunching up.
    this.#schedule(kind, due + period >= now ? due + period : now);
  }

  /** Feeds one result to the verdicts; starts what the startup probe gated, stops offloaded probes that no longer run. */
  #record(kind: ProbeKind, result: ProbeResult): void {
    if (this.#stopped) return;
    const wasStarted = this.#state.started;
    const before = this.#state.summary();
    const transitions = this.#state.record(kind, result);
    for (const [offloaded, stopOffloaded] of this.#offloaded) {
      if (this.#state.active(offloaded)) continue;
      stopOffloaded();
      this.#offloaded.delete(offloaded);
    }
    if (transitions.length > 0) this.#options.hooks.onTransitions(transitions);
    else if (!sameSummary(before, this.#state.summary())) this.#options.hooks.onSummaryChange?.();
    if (!wasStarted && this.#state.started) {
      for (const next of ['liveness', 'readiness'] as const) if (this.#state.active(next)) this.#schedule(next, this.#firstDue(next));
    }
  }
}
