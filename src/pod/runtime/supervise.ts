/**
 * @module pod/runtime/supervise — standalone `rocklet run` / `run-prepared`: bring a prepared
 * pod up, run its apps in the foreground, bring it down, and return its exit code.
 *
 * Order: init apps one after another (each must exit 0), then every other app at once under
 * crun (`stage1: 'fly'`: exactly one app, host network). rocklet keeps the pod lock for the
 * whole run and also hands it to every `crun run` as fd 3, so the pod stays `running` even if
 * rocklet is killed while an app lives. SIGINT/SIGTERM (ctx.signal) stop the apps gracefully:
 * SIGTERM, then SIGKILL after the app's stop timeout.
 *
 * Exit code, rkt's rule (rkt.md §2.3): the pod ends when every app has exited 0, or as soon as
 * one app fails — the others are then stopped (their codes are recorded, but do not count).
 * The result is the exit code of the first app that failed, else 0. A failing init app ends
 * the pod with its code before the other apps start. Every app's code is recorded in
 * `status/<app>` (a death by signal N as 128+N).
 *
 * Limits standalone: an app with resources (memory, cpu, pids) gets them in its OCI config
 * (`linux.resources`) and is run with `crun --cgroup-manager=cgroupfs`, so crun creates and
 * limits its cgroup (below the caller's); apps without limits run with the cgroup manager
 * disabled. Under systemd the unit carries the limits instead (unit-plan.ts).
 *
 * Logs (`options.logs`): each app's stdout and stderr are piped through rocklet into
 * `<pod>/logs/<app>.log` (pod/logs: size-bounded, read by `rocklet logs`) and forwarded to
 * where they would have gone. The files are complete before the pod's lock is released, so a
 * follower that sees the pod gone has everything.
 *
 * Pod files' probes and lifecycle hooks run here too (probe/standalone.ts): postStart once an
 * app's container runs, then its probes; preStop before the SIGTERM of a stop; a startup or
 * liveness failure stops that app (never restarted standalone: it ends the pod as a failure).
 *
 * After the apps: containers deleted, mounts, network and namespace files released
 * (release.ts), the lock released; the pod stays in `run/`, reading `exited` (as rkt left it)
 * until gc marks it.
 */
import { isatty } from 'node:tty';
import type { ACName } from '../../image/index.js';
import { invalidArgument, runtimeFailure } from '../../util/index.js';
import { assertLimitControllers } from '../stage1/cgroup-controllers.js';
import { recordAppExit } from '../store/app-exits.js';
import { locatePod } from '../store/locate.js';
import { writePodPid } from '../store/pod-files.js';
import type { LockedPod } from '../store/transitions.js';
import { lockPreparedPod } from '../store/transitions.js';
import type { PodUuid } from '../store/uuid.js';
import type { CommandStdio } from '../stage1/command.js';
import type { ContainerExit } from '../stage1/crun.js';
import { FlyExecutor } from '../stage1/fly.js';
import { unmountAppRootfs } from '../stage1/rootfs.js';
import type { AppOutputForward } from '../logs/writer.js';
import { AppLogWriter, teeStream } from '../logs/writer.js';
import type { AppPrepared } from './app-unit.js';
import { appPrepare, stage1Resources } from './app-unit.js';
import type { RuntimeContext } from './context.js';
import type { PlannedApp, PodPlan } from './plan.js';
import { crunOf, loadPlan, storeOf } from './pod-ref.js';
import { applicableOomScoreAdj } from './oom-score.js';
import { releasePodResources } from './release.js';
import { abortStart, setUpSandbox, writeSupervisor } from './sandbox.js';
import { StandaloneProbes } from '../probe/standalone.js';

/** Options of {@link runPreparedPod}. */
export interface RunPreparedOptions {
  /** The apps' stdio (default `inherit`). */
  readonly stdio?: CommandStdio;
  /** Write crun cgroup limits from the plan (default true). */
  readonly resources?: boolean;
  /**
   * Write each app's output to its log file (pod/logs) and forward it to `forward` (the apps'
   * stdin stays `stdio`'s; stdout and stderr are piped through rocklet).
   */
  readonly logs?: { readonly forward?: AppOutputForward; readonly maxBytes?: number };
}

/** One app's end. */
export interface AppResult {
  readonly app: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The result of {@link runPreparedPod}. */
export interface PodRunResult {
  readonly uuid: PodUuid;
  readonly podDir: string;
  /** rkt's rule: the first failing app's code, else 0. */
  readonly exitCode: number;
  /** In the order the apps ended. */
  readonly apps: readonly AppResult[];
  /** Resources released at the end (release.ts lines). */
  readonly released: readonly string[];
}

function checkFly(plan: PodPlan): void {
  if (plan.stage1 !== 'fly') return;
  if (plan.apps.length !== 1) {
    throw invalidArgument('ERR_FLY_ONE_APP', `the fly stage1 runs exactly one app; this pod has ${plan.apps.length}`, { hint: 'use --stage1=crun' });
  }
}

/** How soon a stop signal that could not be sent is sent again. */
const KILL_RETRY_MS = 100;

/** Runs one prepared app to its end; the result's code is the app's (128+N for signal N). */
class AppRunner {
  #stopping = false;
  #exited = false;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly pod: LockedPod,
    private readonly plan: PodPlan,
    readonly app: PlannedApp,
    private readonly prepared: AppPrepared,
    private readonly stdio: CommandStdio,
    private readonly logs: RunPreparedOptions['logs'],
    private readonly probes?: StandaloneProbes,
  ) {}

  async run(): Promise<AppResult> {
    const writer = this.logs === undefined ? undefined : new AppLogWriter(this.pod.path, this.app.name, this.logs.maxBytes);
    const running = new AbortController();
    const execution = this.#execute(writer);
    // Probes and hooks (pod files, crun): postStart once the container runs, then probing.
    const probing = this.probes !== undefined && this.plan.stage1 === 'crun' && StandaloneProbes.needed(this.app)
      ? this.probes.appStarted(this.app, this.prepared.containerId, running.signal, () => this.stop())
      : Promise.resolve();
    let exit: ContainerExit;
    try {
      exit = await execution;
    } finally {
      this.#exited = true;
      running.abort();
      await probing;
      writer?.close();
    }
    clearTimeout(this.#killTimer);
    const exitCode = exit.exitCode ?? 128 + 9;
    await recordAppExit(this.pod.path, this.app.name as ACName, Math.min(exitCode, 255));
    return { app: this.app.name, exitCode, stdout: exit.stdout, stderr: exit.stderr };
  }

  #execute(writer: AppLogWriter | undefined): Promise<ContainerExit> {
    const { prepared } = this;
    const extraFds = [this.pod.lock.fd];
    const forward = this.logs?.forward;
    const logged = writer === undefined ? {} : {
      stdio: [stdinOf(this.stdio), 'pipe', 'pipe'] as const,
      output: { stdout: teeStream(writer, 'stdout', forward?.stdout), stderr: teeStream(writer, 'stderr', forward?.stderr) },
    };
    if (this.plan.stage1 === 'fly') {
      const fly = new FlyExecutor(this.ctx.mountNamespace);
      return fly.run({ id: prepared.containerId, bundle: prepared.prepared.dirs.dir, config: prepared.prepared.config }, { stdio: this.stdio, extraFds, ...logged });
    }
    // Limits in the config only apply when crun manages the container's cgroup.
    const manager = prepared.prepared.app.resources === undefined ? 'disabled' : 'cgroupfs';
    return crunOf(this.ctx, manager).run(prepared.containerId, { bundle: prepared.prepared.dirs.dir, stdio: this.stdio, extraFds, ...logged });
  }

  /** SIGTERM now, SIGKILL after the app's stop timeout (crun apps; fly apps get the signal from the terminal). */
  stop(force = false): void {
    if (this.plan.stage1 !== 'crun') return;
    const crun = crunOf(this.ctx);
    let reported = false;
    const kill = (signal: NodeJS.Signals): void => {
      crun.kill(this.prepared.containerId, signal).catch((error: unknown) => {
        if (this.#exited) return;
        if (!reported) this.ctx.onEvent?.({ message: `stopping app "${this.app.name}": ${String(error)}` });
        reported = true;
        // Its container may not exist yet (another app ended while this one was starting):
        // the signal is sent again until the app has ended, so a stop is never lost.
        setTimeout(() => kill(signal), KILL_RETRY_MS).unref();
      });
    };
    if (force) {
      kill('SIGKILL');
      return;
    }
    if (this.#stopping) return;
    this.#stopping = true;
    const term = (): void => {
      kill('SIGTERM');
      this.#killTimer = setTimeout(() => kill('SIGKILL'), this.app.stopTimeoutSeconds * 1000);
      this.#killTimer.unref();
    };
    // Kubernetes' preStop runs before SIGTERM.
    if (this.probes === undefined || this.app.lifecycle?.preStop === undefined) term();
    else {
      this.probes.preStop(this.app).then(term, (error: unknown) => {
        this.ctx.onEvent?.({ message: `app "${this.app.name}": preStop hook: ${String(error)}` });
        term();
      });
    }
  }
}

/** The stdin part of `stdio`. */
function stdinOf(stdio: CommandStdio): 'pipe' | 'inherit' | 'ignore' {
  const first = typeof stdio === 'string' ? stdio : stdio[0];
  return first === 'inherit' || first === 'ignore' ? first : first === 'pipe' ? 'pipe' : 'inherit';
}

async function runApps(ctx: RuntimeContext, pod: LockedPod, plan: PodPlan, stdio: CommandStdio, withResources: boolean, logs: RunPreparedOptions['logs']): Promise<AppResult[]> {
  const results: AppResult[] = [];
  const prepare = async (app: PlannedApp): Promise<AppPrepared> => {
    const resources = withResources ? stage1Resources(app) : undefined;
    return appPrepare(ctx, pod.uuid, app.name, { ...(resources === undefined ? {} : { resources }), ...(await standaloneAppOptions(ctx, app)) });
  };
  // Native sidecars start in init order, keep running beside the apps and are stopped after them.
  const sidecars: { runner: AppRunner; done: Promise<AppResult> }[] = [];
  const stopSidecars = async (): Promise<void> => {
    for (const sidecar of [...sidecars].reverse()) {
      sidecar.runner.stop();
      await sidecar.done;
    }
  };
  for (const app of plan.apps.filter((a) => a.init)) {
    if (ctx.signal?.aborted === true) {
      await stopSidecars();
      return results;
    }
    if (app.sidecar === true) {
      const runner = new AppRunner(ctx, pod, plan, app, await prepare(app), stdio, logs);
      sidecars.push({ runner, done: runner.run() });
      continue;
    }
    const runner = new AppRunner(ctx, pod, plan, app, await prepare(app), stdio, logs);
    const result = await runner.run();
    results.push(result);
    if (result.exitCode !== 0) {
      await stopSidecars();
      return results;
    }
  }
  const runners: AppRunner[] = [];
  const probes = plan.apps.some((a) => StandaloneProbes.needed(a)) ? new StandaloneProbes(ctx, pod.uuid) : undefined;
  for (const app of plan.apps.filter((a) => !a.init)) runners.push(new AppRunner(ctx, pod, plan, app, await prepare(app), stdio, logs, probes));
  if (ctx.signal?.aborted === true) return results;
  const stopAll = (): void => {
    for (const runner of runners) runner.stop();
  };
  ctx.signal?.addEventListener('abort', stopAll, { once: true });
  try {
    await Promise.all(
      runners.map(async (runner) => {
        const result = await runner.run();
        results.push(result);
        // rkt: the first failure ends the pod.
        if (result.exitCode !== 0) stopAll();
      }),
    );
  } finally {
    ctx.signal?.removeEventListener('abort', stopAll);
    // A sidecar's own end does not decide the pod's code (Kubernetes ignores it too).
    await stopSidecars();
  }
  return results;
}

/** tty only where this process has a terminal to give; oomScoreAdj only where it can be set. */
async function standaloneAppOptions(ctx: RuntimeContext, app: PlannedApp): Promise<{ terminal?: boolean; oomScoreAdjInSpec?: boolean }> {
  const options: { terminal?: boolean; oomScoreAdjInSpec?: boolean } = {};
  if (app.tty === true && !isatty(0)) {
    ctx.onEvent?.({ message: `app "${app.name}" asks for a tty, but stdin is not a terminal: it runs without one` });
    options.terminal = false;
  }
  if (app.oomScoreAdj !== undefined) {
    const applicable = await applicableOomScoreAdj(app.oomScoreAdj);
    if (applicable === undefined) ctx.onEvent?.({ message: `app "${app.name}": cannot lower the OOM score adjustment to ${app.oomScoreAdj} without CAP_SYS_RESOURCE; it keeps the inherited one` });
    else options.oomScoreAdjInSpec = true;
  }
  return options;
}

/** rkt's rule: the first failing app's code (in the order they ended), else 0. */
export function podExitCode(results: readonly Pick<AppResult, 'exitCode'>[]): number {
  return results.find((r) => r.exitCode !== 0)?.exitCode ?? 0;
}

/**
 * Runs prepared pod `uuid` in the foreground (see the module doc). Throws for rocklet's own
 * failures (the CLI exits 254); app failures are in the result.
 */
export async function runPreparedPod(ctx: RuntimeContext, uuid: PodUuid, options: RunPreparedOptions = {}): Promise<PodRunResult> {
  const store = storeOf(ctx);
  // What can be refused without touching the pod is refused first: it stays prepared.
  const at = await locatePod(store, uuid, ['prepared']);
  if (at !== undefined) {
    const early = await loadPlan(ctx, at.path);
    checkFly(early);
    if (early.stage1 === 'crun') await crunOf(ctx).locate();
    if (early.stage1 === 'crun' && options.resources !== false) await assertLimitControllers(ctx.mountNamespace, early.apps);
  }
  const pod = await lockPreparedPod(store, uuid);
  let plan: PodPlan;
  try {
    plan = await loadPlan(ctx, pod.path);
    checkFly(plan);
    await setUpSandbox(ctx, uuid, pod.path, plan);
    await writeSupervisor(pod.path, 'standalone');
    await writePodPid(pod.path, process.pid);
  } catch (error) {
    return abortStart(ctx, pod, error);
  }
  let results: AppResult[] = [];
  let released: string[] = [];
  try {
    results = await runApps(ctx, pod, plan, options.stdio ?? 'inherit', options.resources ?? true, options.logs);
    if (results.length === 0 && ctx.signal?.aborted === true) {
      throw runtimeFailure('ERR_POD_INTERRUPTED', `pod "${uuid}" was interrupted before its apps started`);
    }
  } finally {
    try {
      for (const app of plan.apps) await unmountAppRootfs(ctx.mountNamespace, pod.path, app.name);
      released = await releasePodResources(ctx, pod.path, uuid);
    } finally {
      await pod.release();
    }
  }
  return { uuid, podDir: pod.path, exitCode: podExitCode(results), apps: results, released };
}
