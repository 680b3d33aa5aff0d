import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProberClock, ProbeResult, ProbeTransition } from '../../../src/pod/index.js';
import { ContainerProber } from '../../../src/pod/index.js';
import type { ProbeKind, ProbeSpec } from '../../../src/podfile/index.js';

/** A fake clock: timers fire in time order when the test advances it. */
class FakeClock implements ProberClock {
  time = 1_000_000;
  #next = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  /** Advances to `until`, firing due timers (and letting their promises settle) in order. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].fn();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
    this.time = until;
  }
}

function probe(overrides: Partial<ProbeSpec> = {}): ProbeSpec {
  return { action: { kind: 'tcpSocket', port: 80 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...overrides };
}

describe('prober schedule', () => {
  it('runs at start + initialDelay, then every period; startup gates liveness', async () => {
    const clock = new FakeClock();
    const runs: { kind: ProbeKind; at: number }[] = [];
    const answers: Record<ProbeKind, ProbeResult> = { startup: { ok: false, reason: 'no' }, liveness: { ok: true }, readiness: { ok: true } };
    const transitions: ProbeTransition[] = [];
    const prober = new ContainerProber({
      probes: { startup: probe({ periodSeconds: 2, failureThreshold: 10 }), liveness: probe({ initialDelaySeconds: 5 }) },
      startedAtMs: clock.time,
      clock,
      run: (kind) => {
        runs.push({ kind, at: clock.time - 1_000_000 });
        return Promise.resolve(answers[kind]);
      },
      hooks: { onTransitions: (t) => transitions.push(...t) },
    });
    prober.start();
    await clock.advance(4000);
    assert.deepEqual(runs, [{ kind: 'startup', at: 0 }, { kind: 'startup', at: 2000 }, { kind: 'startup', at: 4000 }]);
    answers.startup = { ok: true };
    await clock.advance(2000);
    assert.deepEqual(transitions.map((t) => t.kind), ['failing', 'started', 'ready'], 'no readiness probe: ready once started');
    await clock.advance(10_000);
    // Liveness: initialDelay (5 s) counts from container start, which is past: it runs at once, then every 10 s.
    assert.deepEqual(runs.slice(3).map((r) => `${r.kind}@${r.at}`), ['startup@6000', 'liveness@6000', 'liveness@16000']);
    prober.stop();
  });

  it('a probe that hangs past timeoutSeconds fails with a timeout, and three of them kill', async () => {
    const clock = new FakeClock();
    const transitions: ProbeTransition[] = [];
    const aborted: boolean[] = [];
    const prober = new ContainerProber({
      probes: { liveness: probe({ timeoutSeconds: 2, periodSeconds: 5 }) },
      startedAtMs: clock.time,
      clock,
      run: (_kind, _probe, signal) => new Promise(() => signal.addEventListener('abort', () => aborted.push(true))),
      hooks: { onTransitions: (t) => transitions.push(...t) },
    });
    prober.start();
    await clock.advance(12_100);
    assert.deepEqual(transitions, [
      { kind: 'failing', probe: 'liveness', reason: 'timed out after 2s', count: 1, threshold: 3 },
      { kind: 'not-ready', reason: 'liveness probe failed' },
      { kind: 'kill', probe: 'liveness', reason: 'timed out after 2s', count: 3 },
    ]);
    assert.equal(aborted.length, 3, 'each hung run was aborted');
    await clock.advance(60_000);
    assert.equal(aborted.length, 3, 'no more runs after the kill');
    prober.stop();
  });

  it('resumed probing (daemon restart) spreads first runs over one period and restarts nothing', async () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    const prober = new ContainerProber({
      probes: { liveness: probe({ periodSeconds: 10 }) },
      startedAtMs: clock.time - 3_600_000,
      resumed: true,
      random: () => 0.5,
      clock,
      run: () => {
        runs.push(clock.time - 1_000_000);
        return Promise.resolve({ ok: true });
      },
      hooks: { onTransitions: () => assert.fail('no transition expected') },
    });
    prober.start();
    await clock.advance(20_000);
    assert.deepEqual(runs, [5000, 15000]);
    prober.stop();
  });
});

/** A fake offload: records what it was given; the test plays its results. */
class FakeOffload {
  readonly started: { kind: ProbeKind; delayMs: number }[] = [];
  readonly stopped: ProbeKind[] = [];
  readonly live = new Map<ProbeKind, (result: ProbeResult) => void>();
  /** Kinds it declines (the prober runs those itself). */
  readonly declines = new Set<ProbeKind>();
  start(kind: ProbeKind, _probe: ProbeSpec, delayMs: number, onResult: (result: ProbeResult) => void): Promise<(() => void) | undefined> {
    this.started.push({ kind, delayMs });
    if (this.declines.has(kind)) return Promise.resolve(undefined);
    this.live.set(kind, onResult);
    return Promise.resolve(() => {
      this.stopped.push(kind);
      this.live.delete(kind);
    });
  }
}

describe('prober with an offload', () => {
  it('hands each probe over when the startup probe allows it, and stops the ones that no longer run', async () => {
    const clock = new FakeClock();
    const offload = new FakeOffload();
    const transitions: ProbeTransition[] = [];
    const prober = new ContainerProber({
      probes: { startup: probe({ initialDelaySeconds: 3 }), liveness: probe({ failureThreshold: 2 }), readiness: probe({ successThreshold: 2 }) },
      startedAtMs: clock.time,
      clock,
      offload,
      run: () => Promise.reject(new Error('the offload runs these')),
      hooks: { onTransitions: (t) => transitions.push(...t) },
    });
    prober.start();
    await clock.advance(0);
    assert.deepEqual(offload.started, [{ kind: 'startup', delayMs: 3000 }], 'only the startup probe, after its initial delay');
    offload.live.get('startup')?.({ ok: true });
    await clock.advance(0);
    assert.deepEqual(offload.stopped, ['startup'], 'a startup probe that succeeded stops');
    assert.deepEqual(offload.started.slice(1).map((s) => s.kind), ['liveness', 'readiness']);
    offload.live.get('readiness')?.({ ok: true });
    assert.equal(prober.summary().ready, false, 'successThreshold 2');
    offload.live.get('readiness')?.({ ok: true });
    assert.equal(prober.summary().ready, true);
    offload.live.get('liveness')?.({ ok: false, reason: 'down' });
    offload.live.get('liveness')?.({ ok: false, reason: 'down' });
    assert.deepEqual(transitions.map((t) => t.kind), ['started', 'ready', 'failing', 'not-ready', 'kill']);
    assert.deepEqual(offload.stopped.sort(), ['liveness', 'readiness', 'startup'], 'a kill stops every probe of the container');
    prober.stop();
  });

  it('runs a probe the offload declines on its own timer for one period, then offers it again', async () => {
    const clock = new FakeClock();
    const offload = new FakeOffload();
    offload.declines.add('liveness');
    const runs: number[] = [];
    const prober = new ContainerProber({
      probes: { liveness: probe({ periodSeconds: 10 }) },
      startedAtMs: clock.time,
      clock,
      offload,
      run: () => {
        runs.push(clock.time - 1_000_000);
        offload.declines.delete('liveness'); // as an exec probe's cgroups become known once the container runs
        return Promise.resolve({ ok: true });
      },
      hooks: { onTransitions: () => {} },
    });
    prober.start();
    for (let i = 0; i < 10; i++) await Promise.resolve(); // the offload's answer
    await clock.advance(0);
    assert.deepEqual(runs, [0], 'declined: the first run here');
    await clock.advance(10_000);
    assert.deepEqual(runs, [0], 'taken by the offload for the second period');
    assert.deepEqual(offload.started, [{ kind: 'liveness', delayMs: 0 }, { kind: 'liveness', delayMs: 10_000 }]);
    prober.stop();
    assert.deepEqual(offload.stopped, ['liveness'], 'stop() stops it there too');
  });
});

describe('prober summary changes', () => {
  it('says when a failure changes what `rocklet pods` shows without a transition, and only then', async () => {
    const clock = new FakeClock();
    const offload = new FakeOffload();
    const transitions: string[] = [];
    let summaryChanges = 0;
    const prober = new ContainerProber({
      probes: { readiness: probe({ failureThreshold: 1 }), liveness: probe({ failureThreshold: 3 }) },
      startedAtMs: clock.time,
      clock,
      offload,
      run: () => Promise.reject(new Error('the offload runs these')),
      hooks: { onTransitions: (t) => transitions.push(...t.map((x) => x.kind)), onSummaryChange: () => summaryChanges++ },
    });
    prober.start();
    await clock.advance(0);
    // Readiness, threshold 1, never ready: a failure is no transition, but REASON now names it.
    offload.live.get('readiness')?.({ ok: false, reason: 'refused' });
    assert.deepEqual([transitions, summaryChanges], [[], 1]);
    assert.equal(prober.summary().failing?.reason, 'refused');
    offload.live.get('readiness')?.({ ok: false, reason: 'refused' });
    assert.equal(summaryChanges, 2, 'the count went up');
    offload.live.get('readiness')?.({ ok: true });
    assert.deepEqual([transitions, summaryChanges], [['ready'], 2], 'a transition, not a summary change');
    offload.live.get('liveness')?.({ ok: false, reason: 'slow' });
    assert.deepEqual([transitions, summaryChanges], [['ready', 'failing'], 2]);
    offload.live.get('liveness')?.({ ok: false, reason: 'slow' });
    assert.equal(summaryChanges, 3, '2/3 shows in PROBES');
    offload.live.get('liveness')?.({ ok: true });
    assert.equal(summaryChanges, 4, 'passing again clears it');
    offload.live.get('liveness')?.({ ok: true });
    assert.equal(summaryChanges, 4, 'nothing changed');
    prober.stop();
  });
});
