/**
 * @module daemon/pod-containers — what the reconciler does for a running pod's containers
 * after deciding to keep it: restart those systemd gave up on, with back-off (crash-loops.ts),
 * end native sidecars once the apps have finished (sidecars.ts), and keep each pod's exit
 * records (`<pod>/status/<app>`) for the status board.
 */
import type { PodUuid } from '../pod/index.js';
import { podPath, podStore, readAppExits } from '../pod/index.js';
import type { PodSpec } from '../podfile/index.js';
import type { SystemdManager } from '../systemd/index.js';
import type { ActualPod } from './actual.js';
import type { PodActuator } from './actuator.js';
import { CrashLoops } from './crash-loops.js';
import type { DaemonLog } from './log.js';
import { appsFinished, mayEndSidecars, stopFinishedSidecars } from './sidecars.js';

export interface PodContainersDeps {
  readonly manager: SystemdManager;
  readonly actuator: PodActuator;
  readonly log: DaemonLog;
  readonly dataDir: string;
  readonly backoffFirstMs: number;
  /** Queues a reconcile of `pod` (a crash back-off ran out). */
  readonly enqueue: (pod: string) => void;
}

export class PodContainers {
  /** Each pod's recorded exit codes, by app. */
  readonly exits = new Map<string, ReadonlyMap<string, number>>();
  /** Containers the daemon restarts with back-off after systemd's own restarts gave up. */
  readonly crashLoops: CrashLoops;

  constructor(private readonly deps: PodContainersDeps) {
    this.crashLoops = new CrashLoops(deps.backoffFirstMs, deps.enqueue, deps.log);
  }

  stop(): void {
    this.crashLoops.stop();
  }

  /** Restarts, with back-off, app containers whose units systemd gave up on; ends finished pods' sidecars. */
  async tend(pod: string, actual: ActualPod, spec: PodSpec | undefined): Promise<void> {
    if (spec === undefined) return;
    await this.endSidecars(pod, actual, spec);
    if (spec.restartPolicy === 'Never') return;
    for (const container of spec.containers) if (actual.apps.get(container.name)?.activeState === 'active') this.crashLoops.running(pod, container.name);
    // Every unit signal of a healthy pod lands here: read the exit records only when needed.
    if (![...actual.apps.values()].some((unit) => unit.activeState === 'failed')) return;
    await this.readExits(pod, actual);
    const exits = this.exits.get(pod) ?? new Map<string, number>();
    // Sidecars ended because the apps finished are not revived (their SIGTERM exit is a failure).
    const finished = appsFinished(spec, actual, exits);
    // A failed init container is run again with back-off (kubelet's Init:CrashLoopBackOff),
    // and the units after it with it; the apps cannot have started.
    const failedInit = spec.initContainers.find((init) => init.sidecar !== true && actual.apps.get(init.name)?.activeState === 'failed');
    if (failedInit !== undefined) {
      if (this.crashLoops.failed(pod, failedInit.name, exits.get(failedInit.name)) === 'restart') await this.deps.actuator.restartApp(actual, failedInit.name);
      return;
    }
    // Native sidecars restart like app containers.
    for (const container of [...spec.initContainers.filter((init) => init.sidecar === true && !finished), ...spec.containers]) {
      const unit = actual.apps.get(container.name);
      if (unit === undefined || unit.activeState !== 'failed') continue;
      const code = exits.get(container.name);
      if (spec.restartPolicy === 'OnFailure' && code === 0) continue;
      if (this.crashLoops.failed(pod, container.name, code) === 'restart') await this.deps.actuator.restartApp(actual, container.name);
    }
  }

  /** Reads `pod`'s exit records (none when it has no running sandbox). */
  async readExits(pod: string, actual: ActualPod | undefined): Promise<void> {
    if (actual?.uuid === undefined || actual.sandbox === undefined) {
      this.exits.delete(pod);
      return;
    }
    const dir = podPath(podStore(this.deps.dataDir), 'run', actual.uuid as PodUuid);
    try {
      const exits = await readAppExits(dir);
      this.exits.set(pod, new Map(exits.map((exit) => [exit.name as string, exit.code])));
    } catch {
      this.exits.delete(pod); // the pod left run/ meanwhile: its units will say so
    }
  }

  /** kubelet's end of native sidecars once every app container has finished (sidecars.ts). */
  private async endSidecars(pod: string, actual: ActualPod, spec: PodSpec): Promise<void> {
    if (!mayEndSidecars(spec, actual)) return;
    await this.readExits(pod, actual);
    stopFinishedSidecars(this.deps.manager, this.deps.log, pod, actual, spec, this.exits.get(pod) ?? new Map<string, number>());
  }
}
