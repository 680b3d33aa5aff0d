/**
 * @module daemon/sidecars — when a pod's native sidecars (init containers with `restartPolicy:
 * Always`) must end: kubelet terminates them once every app container has finished for good,
 * so a pod with restartPolicy Never or OnFailure completes instead of running its log shipper
 * or proxy forever. The reconciler asks after each reconcile of a running pod; the decision is
 * pure, the stop is one StopUnit per sidecar whose job is not waited for (the pod's next
 * reconciles are not held up by the sidecar's grace period, its unit's TimeoutStopSec=).
 */
import type { PodSpec } from '../podfile/index.js';
import type { SystemdManager } from '../systemd/index.js';
import type { ActualPod } from './actual.js';
import type { DaemonLog } from './log.js';

/**
 * True when every app container of `spec` has finished and will not run again: its unit is
 * inactive, failed or gone (systemd unloads a transient unit that ended well), and under
 * restartPolicy Never it recorded an exit (any code) or failed, under OnFailure it exited 0 (a
 * non-zero exit is restarted). Never under Always.
 */
export function appsFinished(spec: PodSpec, actual: ActualPod, exits: ReadonlyMap<string, number>): boolean {
  if (spec.restartPolicy === 'Always' || spec.containers.length === 0) return false;
  return spec.containers.every((container) => {
    if (!notRunning(actual, container.name)) return false;
    const code = exits.get(container.name);
    return spec.restartPolicy === 'Never' ? code !== undefined || actual.apps.get(container.name)?.activeState === 'failed' : code === 0;
  });
}

/** The app's unit is inactive, failed or gone (a transient unit that ended well is unloaded at once). */
function notRunning(actual: ActualPod, app: string): boolean {
  const state = actual.apps.get(app)?.activeState ?? 'inactive';
  return state === 'inactive' || state === 'failed';
}

/** The native sidecars of `spec` still running (or starting) although every app container has finished. */
export function sidecarsToEnd(spec: PodSpec, actual: ActualPod, exits: ReadonlyMap<string, number>): string[] {
  const sidecars = spec.initContainers.filter((container) => container.sidecar === true);
  if (sidecars.length === 0 || !appsFinished(spec, actual, exits)) return [];
  return sidecars
    .filter((container) => {
      const state = actual.apps.get(container.name)?.activeState;
      return state === 'active' || state === 'activating' || state === 'reloading';
    })
    .map((container) => container.name as string);
}

/** Cheap test before the exit records are read: a pod with sidecars whose app units all stopped. */
export function mayEndSidecars(spec: PodSpec, actual: ActualPod): boolean {
  if (spec.restartPolicy === 'Always' || !spec.initContainers.some((init) => init.sidecar === true)) return false;
  return spec.containers.every((container) => notRunning(actual, container.name));
}

/** Stops the sidecars {@link sidecarsToEnd} names, logging each decision (and a failed stop). */
export function stopFinishedSidecars(manager: SystemdManager, log: DaemonLog, pod: string, actual: ActualPod, spec: PodSpec, exits: ReadonlyMap<string, number>): void {
  for (const name of sidecarsToEnd(spec, actual, exits)) {
    const unit = actual.apps.get(name);
    if (unit === undefined) continue;
    log.info({ file: actual.file, pod, container: name, action: 'stop-sidecar', reason: 'every app container has finished' }, `pod ${pod}: every app container has finished; stopping sidecar ${name}`);
    manager.stopUnit(unit.name).catch((error: unknown) => {
      log.warn({ pod, container: name, action: 'stop-sidecar', reason: error instanceof Error ? error.message : String(error) }, `pod ${pod}: stopping sidecar ${name} failed`);
    });
  }
}
