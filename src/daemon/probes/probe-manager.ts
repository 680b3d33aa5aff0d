/**
 * @module daemon/probes/probe-manager — the daemon's probes (issue 14): for every running app
 * container whose plan has probes, one {@link ContainerProber} in this process. Periodic exec,
 * tcpSocket and plain-HTTP probes run on util's native probe engine (a thread with its own
 * timers; exec is `crun exec` started without forking the daemon, tcp/http connect from a
 * socket made inside the pod's network namespace), which wakes the main thread only for results
 * that can change a verdict; grpc and HTTPS probes run on this thread's timers.
 *
 * Driven by the reconciler: after each reconcile of a pod, {@link DaemonProbes.sync} compares the
 * pod's units with the probers it has. A container run is known by its unit's InvocationID
 * (systemd makes a new one for every start, restarts included): a new one gets a fresh prober
 * (startup probe first, readiness false), a unit that is no longer active loses its prober.
 * After a daemon restart the probers start afresh with the first runs spread over one period
 * (as kubelet does after its own restart); counters start at zero, so nothing is restarted
 * because the daemon restarted.
 *
 * A startup or liveness probe past its failureThreshold restarts exactly that container, as
 * kubelet does: the preStop hook (if any), then SIGTERM to the unit's main process (crun, which
 * hands it to the app), SIGKILL to the unit's processes when the grace period (the probe's
 * terminationGracePeriodSeconds, else the pod's) is over. The unit's Restart= (the pod's
 * restartPolicy) then decides whether systemd starts it again, counted in NRestarts (RESTARTS).
 */
import type { PodProbeSite, ProbeSummary, ProbeTransition, RuntimeContext } from '../../pod/index.js';
import { ContainerProber, engineOffload, isPodUuid, podProbeSite, runProbeAction } from '../../pod/index.js';
import type { ProbeKind } from '../../podfile/index.js';
import type { SystemdManager, UnitName, UnitStatus } from '../../systemd/index.js';
import type { ProbeEngine } from '../../util/index.js';
import type { ActualPod } from '../actual.js';
import { isUnitUp } from '../actual.js';
import type { DaemonLog } from '../log.js';
import type { ProbeLatenessStats } from './lateness.js';
import { ProbeLateness } from './lateness.js';

export interface DaemonProbesDeps {
  readonly manager: SystemdManager;
  readonly runtime: RuntimeContext;
  /** Absolute path of crun. */
  readonly crun: string;
  readonly log: DaemonLog;
  /** A container's probe summary changed: the status file should be written again. */
  readonly onChange: () => void;
  /** Where periodic tcp, plain-HTTP and exec probes run (util's native engine); absent: every probe runs on this thread's timers. */
  readonly engine?: ProbeEngine;
}

/** Probers started this soon after the daemon are for containers that ran before it: spread their first runs. */
const RESUME_WINDOW_MS = 60_000;
/** kubelet gives a killed container at least this long after SIGTERM. */
const MIN_KILL_GRACE_MS = 2000;
/** The longest wait between two attempts of a kill that failed. */
const RESTART_RETRY_MAX_MS = 30_000;

interface ContainerEntry {
  readonly invocation: string;
  readonly unit: UnitName;
  readonly prober: ContainerProber;
}

interface PodEntry {
  readonly uuid: string;
  site?: PodProbeSite;
  loading: boolean;
  latest: ActualPod;
  readonly containers: Map<string, ContainerEntry>;
}

export class DaemonProbes {
  readonly #deps: DaemonProbesDeps;
  readonly #pods = new Map<string, PodEntry>();
  readonly #createdAt = Date.now();
  readonly lateness = new ProbeLateness();
  #stopped = false;

  constructor(deps: DaemonProbesDeps) {
    this.#deps = deps;
  }

  /** Brings the pod's probers in line with its units (never throws; failures are logged). */
  sync(pod: string, actual: ActualPod | undefined): void {
    if (this.#stopped) return;
    const entry = this.#pods.get(pod);
    if (actual?.uuid === undefined || !isUnitUp(actual.sandbox) || actual.lost === true || !isPodUuid(actual.uuid)) {
      if (entry !== undefined) this.#drop(pod, entry);
      return;
    }
    if (entry !== undefined && entry.uuid !== actual.uuid) this.#drop(pod, entry);
    const current = this.#pods.get(pod) ?? { uuid: actual.uuid, loading: false, latest: actual, containers: new Map<string, ContainerEntry>() };
    this.#pods.set(pod, current);
    current.latest = actual;
    if (current.site === undefined) {
      if (!current.loading) void this.#load(pod, current);
      return;
    }
    void this.#apply(pod, current, current.site);
  }

  /** Probe summaries of the pod's app containers that have probes (undefined: the pod is not probed). */
  summaries(pod: string): ReadonlyMap<string, ProbeSummary> | undefined {
    const entry = this.#pods.get(pod);
    if (entry?.site === undefined) return undefined;
    const out = new Map<string, ProbeSummary>();
    for (const app of entry.site.plan.apps) {
      if (app.init || app.probes === undefined || Object.keys(app.probes).length === 0) continue;
      const container = entry.containers.get(app.name);
      out.set(app.name, container?.prober.summary() ?? { started: app.probes.startup === undefined, ready: false, killed: false });
    }
    return out;
  }

  /** Stops every prober (daemon shutdown or loss of the bus): pods keep running. */
  stop(): void {
    this.#stopped = true;
    for (const [pod, entry] of this.#pods) this.#drop(pod, entry);
  }

  /** How late probe runs started, here and on the engine together. */
  latenessStats(): ProbeLatenessStats {
    const here = this.lateness.stats();
    const engine = this.#deps.engine?.stats();
    if (engine === undefined) return here;
    return {
      runs: here.runs + engine.runs,
      maxLateMs: Math.max(here.maxLateMs, engine.maxLateMs),
      latePastPeriod: here.latePastPeriod + engine.latePastPeriod,
      lateOverSecond: here.lateOverSecond + engine.lateOverSecond,
    };
  }

  /** Number of probers running. */
  get size(): number {
    let n = 0;
    for (const entry of this.#pods.values()) n += entry.containers.size;
    return n;
  }

  #drop(pod: string, entry: PodEntry): void {
    for (const container of entry.containers.values()) container.prober.stop();
    this.#pods.delete(pod);
  }

  async #load(pod: string, entry: PodEntry): Promise<void> {
    entry.loading = true;
    try {
      if (!isPodUuid(entry.uuid)) return;
      entry.site = await podProbeSite(this.#deps.runtime, entry.uuid, this.#deps.crun);
    } catch (error) {
      this.#deps.log.warn({ pod, action: 'probe', reason: error instanceof Error ? error.message : String(error) }, `cannot probe pod ${pod}: its plan cannot be read`);
      return;
    } finally {
      entry.loading = false;
    }
    if (this.#pods.get(pod) === entry && !this.#stopped) await this.#apply(pod, entry, entry.site);
  }

  async #apply(pod: string, entry: PodEntry, site: PodProbeSite): Promise<void> {
    for (const app of site.plan.apps) {
      if (app.init || app.probes === undefined || Object.keys(app.probes).length === 0) continue;
      const unit = entry.latest.apps.get(app.name);
      const existing = entry.containers.get(app.name);
      if (unit === undefined || unit.activeState !== 'active') {
        if (existing !== undefined) {
          existing.prober.stop();
          entry.containers.delete(app.name);
          this.#deps.onChange();
        }
        continue;
      }
      let invocation = unit.invocationId;
      if (invocation === undefined) {
        try {
          invocation = (await this.#deps.manager.getUnitProperties(unit.name)).invocationId;
        } catch {
          continue; // gone meanwhile: its unit signal brings the next sync
        }
        if (this.#pods.get(pod) !== entry || this.#stopped) return;
      }
      if (invocation === undefined || entry.containers.get(app.name)?.invocation === invocation) continue;
      entry.containers.get(app.name)?.prober.stop();
      const probes = app.probes;
      const target = site.target(app.name);
      const resumed = Date.now() - this.#createdAt < RESUME_WINDOW_MS && existing === undefined;
      const container: ContainerEntry = {
        invocation,
        unit: unit.name,
        prober: new ContainerProber({
          probes,
          startedAtMs: Date.now(),
          resumed,
          run: (_kind, probe, signal) => runProbeAction(target, probe.action, signal),
          ...(this.#deps.engine === undefined ? {} : { offload: engineOffload(this.#deps.engine, target) }),
          hooks: {
            onRun: (kind, late) => this.lateness.record(probes[kind]?.periodSeconds ?? 0, late),
            onTransitions: (transitions) => {
              for (const transition of transitions) this.#report(pod, app.name, transition);
              const kill = transitions.find((t): t is Extract<ProbeTransition, { kind: 'kill' }> => t.kind === 'kill');
              if (kill !== undefined) void this.#restart(pod, entry, app.name, container, kill.probe);
              this.#deps.onChange();
            },
            onSummaryChange: () => this.#deps.onChange(),
          },
        }),
      };
      entry.containers.set(app.name, container);
      container.prober.start();
      this.#deps.onChange();
    }
  }

  #report(pod: string, app: string, t: ProbeTransition): void {
    const { log } = this.#deps;
    const base = { pod, container: app, action: 'probe' };
    switch (t.kind) {
      case 'started':
        log.info({ ...base, probe: 'startup', result: 'started' }, `pod ${pod} container ${app}: startup probe succeeded`);
        return;
      case 'ready':
        log.info({ ...base, probe: 'readiness', result: 'ready' }, `pod ${pod} container ${app} is ready`);
        return;
      case 'not-ready':
        log.warn({ ...base, probe: 'readiness', result: 'not-ready', reason: t.reason }, `pod ${pod} container ${app} is not ready: ${t.reason}`);
        return;
      case 'failing':
        log.warn({ ...base, probe: t.probe, result: 'failing', reason: t.reason }, `pod ${pod} container ${app}: ${t.probe} probe failed (${t.count}/${t.threshold}): ${t.reason}`);
        return;
      case 'kill':
        log.warn({ ...base, probe: t.probe, result: 'restart', reason: t.reason }, `pod ${pod} container ${app}: ${t.probe} probe failed ${t.count} times (${t.reason}); restarting the container`);
        return;
    }
  }

  /**
   * kubelet's kill of a container whose startup or liveness probe failed (see the module doc).
   * Its prober stays stopped until the unit runs again, so a kill that fails (systemd busy or
   * unreachable) is tried again, after 1, 2, 4 … 30 s, for as long as that run is the
   * container's current one; the preStop hook runs once.
   */
  async #restart(pod: string, entry: PodEntry, app: string, container: ContainerEntry, probe: Extract<ProbeKind, 'startup' | 'liveness'>): Promise<void> {
    const { log } = this.#deps;
    const planned = entry.site?.plan.apps.find((a) => a.name === app);
    if (planned === undefined || entry.site === undefined) return;
    const graceMs = (planned.probes?.[probe]?.terminationGracePeriodSeconds ?? planned.stopTimeoutSeconds) * 1000;
    const deadline = Date.now() + graceMs;
    const preStop = planned.lifecycle?.preStop;
    if (preStop !== undefined) {
      // (runProbeAction returns failures, it does not throw them)
      const result = await runProbeAction(entry.site.target(app), preStop, AbortSignal.timeout(Math.max(1, graceMs)));
      if (!result.ok) log.warn({ pod, container: app, action: 'hook', hook: 'preStop', reason: result.reason }, `pod ${pod} container ${app}: preStop hook failed: ${result.reason}`);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#kill(pod, app, container, deadline, graceMs);
        return;
      } catch (error) {
        const delayMs = Math.min(RESTART_RETRY_MAX_MS, 1000 * 2 ** attempt);
        log.warn(
          { pod, container: app, action: 'probe', reason: error instanceof Error ? error.message : String(error), retryInMs: delayMs },
          `pod ${pod} container ${app}: restart after a failed ${probe} probe did not complete; trying again in ${delayMs / 1000} s`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
        if (this.#stopped || this.#pods.get(pod) !== entry || entry.containers.get(app) !== container) return;
      }
    }
  }

  /** SIGTERM to the container's main process, then SIGKILL to all once `deadline` passed (at least MIN_KILL_GRACE_MS after the SIGTERM) if the same run still runs. */
  async #kill(pod: string, app: string, container: ContainerEntry, deadline: number, graceMs: number): Promise<void> {
    const { manager, log } = this.#deps;
    await manager.killUnit(container.unit, 'main', 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, Math.max(MIN_KILL_GRACE_MS, deadline - Date.now())).unref());
    const now: UnitStatus = await manager.getUnitProperties(container.unit);
    if (now.invocationId === container.invocation && (now.activeState === 'active' || now.activeState === 'deactivating')) {
      log.warn({ pod, container: app, action: 'probe', result: 'kill' }, `pod ${pod} container ${app} did not stop within its grace period of ${graceMs / 1000} s; killing it`);
      await manager.killUnit(container.unit, 'all', 'SIGKILL');
    }
  }
}
