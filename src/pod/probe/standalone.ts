/**
 * @module pod/probe/standalone — probes and lifecycle hooks of a pod run by the standalone
 * supervisor (`rocklet run --pod-file`, supervise.ts), in the supervisor's own process.
 *
 * Once crun reports an app's container running: its postStart hook (a failure stops the app,
 * as kubelet kills the container), then its probes. Transitions are runtime events (the CLI
 * prints them as diagnostics). A startup or liveness kill stops that app (preStop, SIGTERM,
 * SIGKILL after the grace period); standalone pods are never restarted (rkt's rule: the pod
 * ends with the app's code), so the kill ends the pod as the app's failure would.
 */
import type { PlannedApp } from '../runtime/plan.js';
import type { RuntimeContext } from '../runtime/context.js';
import { crunOf } from '../runtime/pod-ref.js';
import type { PodUuid } from '../store/uuid.js';
import { runProbeAction } from './actions.js';
import { waitRunning } from './hooks.js';
import type { ProbeTransition } from './probe-state.js';
import { ContainerProber } from './prober.js';
import type { PodProbeSite } from './target.js';
import { podProbeSite } from './target.js';

function describe(app: string, t: ProbeTransition): string {
  switch (t.kind) {
    case 'started':
      return `app "${app}": startup probe succeeded`;
    case 'ready':
      return `app "${app}" is ready`;
    case 'not-ready':
      return `app "${app}" is not ready: ${t.reason}`;
    case 'failing':
      return `app "${app}": ${t.probe} probe failed (${t.count}/${t.threshold}): ${t.reason}`;
    case 'kill':
      return `app "${app}": ${t.probe} probe failed ${t.count} times (${t.reason}); stopping it`;
  }
}

/** The probes and hooks of one standalone pod's apps. */
export class StandaloneProbes {
  readonly #ctx: RuntimeContext;
  readonly #uuid: PodUuid;
  #site: Promise<PodProbeSite> | undefined;
  readonly #probers: ContainerProber[] = [];

  constructor(ctx: RuntimeContext, uuid: PodUuid) {
    this.#ctx = ctx;
    this.#uuid = uuid;
  }

  static needed(app: PlannedApp): boolean {
    return (app.probes !== undefined && Object.keys(app.probes).length > 0) || app.lifecycle?.postStart !== undefined || app.lifecycle?.preStop !== undefined;
  }

  #loadSite(): Promise<PodProbeSite> {
    this.#site ??= crunOf(this.#ctx).locate().then((crun) => podProbeSite(this.#ctx, this.#uuid, crun));
    return this.#site;
  }

  /**
   * Runs postStart and starts probing app `app` once its container runs; `stop` stops the app
   * (the supervisor's graceful stop). Never throws: failures are events (and stop the app when
   * postStart failed).
   */
  async appStarted(app: PlannedApp, containerId: string, signal: AbortSignal, stop: () => void): Promise<void> {
    const event = (message: string): void => this.#ctx.onEvent?.({ message });
    try {
      await waitRunning(this.#ctx, containerId, signal);
      const site = await this.#loadSite();
      const postStart = app.lifecycle?.postStart;
      if (postStart !== undefined) {
        const result = await runProbeAction(site.target(app.name), postStart, signal);
        if (result.output !== undefined && result.output !== '') event(`app "${app.name}" postStart: ${result.output.trimEnd()}`);
        if (!result.ok) {
          event(`app "${app.name}": postStart hook failed: ${result.reason}; stopping it`);
          stop();
          return;
        }
      }
      if (app.probes === undefined || Object.keys(app.probes).length === 0 || signal.aborted) return;
      const target = site.target(app.name);
      const prober = new ContainerProber({
        probes: app.probes,
        startedAtMs: Date.now(),
        run: (_kind, probe, runSignal) => runProbeAction(target, probe.action, runSignal),
        hooks: {
          onTransitions: (transitions) => {
            for (const t of transitions) event(describe(app.name, t));
            if (transitions.some((t) => t.kind === 'kill')) stop();
          },
        },
      });
      this.#probers.push(prober);
      signal.addEventListener('abort', () => prober.stop(), { once: true });
      prober.start();
    } catch (error) {
      if (!signal.aborted) event(`app "${app.name}": probes not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Runs app `app`'s preStop hook (bounded by its grace period); resolves when it is done. */
  async preStop(app: PlannedApp): Promise<void> {
    const hook = app.lifecycle?.preStop;
    if (hook === undefined) return;
    const site = await this.#loadSite();
    const result = await runProbeAction(site.target(app.name), hook, AbortSignal.timeout(Math.max(1, app.stopTimeoutSeconds) * 1000));
    if (!result.ok) this.#ctx.onEvent?.({ message: `app "${app.name}": preStop hook failed: ${result.reason}` });
  }

  /** Stops every prober. */
  stop(): void {
    for (const prober of this.#probers) prober.stop();
  }
}
