/**
 * @module util/probe-engine — the native probe engine (native/probe-engine.c): one thread of
 * this process that runs periodic tcp, plain-HTTP and exec probes on its own schedule and hands
 * back only the results kubelet's thresholds need (every failure; successes until
 * `reportSuccesses` in a row). What a probe means lives above (pod/probe); this is the transport.
 */
import { loadAddon } from './linux-sys.js';

/** One periodic probe for the engine. Times are milliseconds. */
export type EngineProbeSpec = EngineTiming & EngineProbeAction;

/** What one run of a probe does. */
export type EngineProbeAction =
  | { readonly kind: 'tcp'; readonly netns?: string; readonly host: string; readonly port: number }
  /** `request`: the whole HTTP/1.1 request, written as is; the answer's status line decides. */
  | { readonly kind: 'http'; readonly netns?: string; readonly host: string; readonly port: number; readonly request: string }
  /** `argv[0]` included; the child writes itself into each cgroup.procs file before it execs. */
  | { readonly kind: 'exec'; readonly path: string; readonly argv: readonly string[]; readonly cgroupProcs: readonly string[] };

export interface EngineTiming {
  /** Until the first run. */
  readonly delayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  /** Successes in a row reported after a failure (or the start); later ones are not. */
  readonly reportSuccesses: number;
}

/** What one run found (host and port are the caller's; `code` is an errno name such as ECONNREFUSED). */
export type EngineResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'errno'; readonly code: string }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'exit'; readonly exitCode: number; readonly output: string }
  | { readonly kind: 'signal'; readonly signal: number; readonly output: string }
  | { readonly kind: 'spawn'; readonly message: string };

export interface EngineStats {
  readonly runs: number;
  readonly maxLateMs: number;
  readonly latePastPeriod: number;
  readonly lateOverSecond: number;
}

/** A registered probe (remove it with {@link ProbeEngine.remove}). */
export type EngineHandle = number & { readonly __brand: 'EngineHandle' };

const KIND_CODES = { tcp: 0, http: 1, exec: 2 } as const;

function decode(outcome: number, detail: number, text: string | null): EngineResult {
  switch (outcome) {
    case 0:
      return { kind: 'ok' };
    case 1:
      return { kind: 'timeout' };
    case 3:
      return { kind: 'status', status: detail };
    case 4:
      return { kind: 'exit', exitCode: detail, output: text ?? '' };
    case 5:
      return { kind: 'signal', signal: detail, output: text ?? '' };
    case 6:
      return { kind: 'spawn', message: text ?? 'cannot start the probe command' };
    default:
      // 2: a system call's error; 7: the server closed before answering; 8: not an HTTP answer.
      return { kind: 'errno', code: text ?? 'EUNKNOWN' };
  }
}

export class ProbeEngine {
  readonly #listeners = new Map<number, (result: EngineResult) => void>();
  #started = false;

  /** Registers `spec`; `onResult` gets the results that matter, on the main thread, until removal. */
  add(spec: EngineProbeSpec, onResult: (result: EngineResult) => void): EngineHandle {
    const addon = loadAddon();
    if (!this.#started) {
      addon.probeEngineStart((results) => this.#deliver(results));
      this.#started = true;
    }
    const handle = addon.probeEngineAdd({ ...spec, kind: KIND_CODES[spec.kind] }) as EngineHandle;
    this.#listeners.set(handle, onResult);
    return handle;
  }

  /** No more runs or results of `handle` (a run in flight is ended; an exec probe's process killed). */
  remove(handle: EngineHandle): void {
    if (!this.#listeners.delete(handle)) return;
    loadAddon().probeEngineRemove(handle);
  }

  /** Lateness of every run so far (how late each started against its schedule). */
  stats(): EngineStats {
    if (!this.#started) return { runs: 0, maxLateMs: 0, latePastPeriod: 0, lateOverSecond: 0 };
    const [runs, maxLateMs, latePastPeriod, lateOverSecond] = loadAddon().probeEngineStats();
    return { runs, maxLateMs, latePastPeriod, lateOverSecond };
  }

  /** Probes registered. */
  get size(): number {
    return this.#listeners.size;
  }

  #deliver(results: readonly (readonly [number, number, number, string | null])[]): void {
    for (const [handle, outcome, detail, text] of results) {
      // A result queued before its probe's removal is dropped here.
      this.#listeners.get(handle)?.(decode(outcome, detail, text));
    }
  }
}

let shared: ProbeEngine | undefined;

/** This process's engine (its thread starts with the first probe). */
export function probeEngine(): ProbeEngine {
  shared ??= new ProbeEngine();
  return shared;
}
