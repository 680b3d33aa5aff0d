/**
 * @module pod/runtime/stop — `rocklet stop [--force] UUID`: end a running pod's apps.
 *
 * Graceful: SIGTERM to every app's container, SIGKILL to those still alive after the app's stop
 * timeout (the plan's `stopTimeoutSeconds`); `--force`: SIGKILL at once. A standalone pod
 * (`rocklet run` in the foreground) is stopped through its supervisor: SIGTERM to the recorded
 * rocklet PID, which stops its apps the same way and releases the pod; with --force its apps
 * are killed directly and the supervisor notices. A pod under systemd is stopped by stopping its
 * sandbox unit (the daemon's job); `stop` then only signals its apps, like rkt's stop
 * entrypoint, and the units' Restart= policies decide what happens next.
 *
 * Like rkt, stop returns once the signals are sent; `status --wait` waits for the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition, notFound } from '../../util/index.js';
import { POD_FILES } from '../store/layout.js';
import { locatePod } from '../store/locate.js';
import { readPodPid } from '../store/pod-files.js';
import { probePodLock } from '../store/pod-lock.js';
import type { PodUuid } from '../store/uuid.js';
import type { RuntimeContext } from './context.js';
import { containerId, crunOf, loadPlan, storeOf } from './pod-ref.js';
import { readSupervisor } from './sandbox.js';

/** Options of {@link stopPod}. */
export interface StopPodOptions {
  readonly force?: boolean;
  /** Wait for SIGKILL after the stop timeout (default true for pods without a supervisor to do it). */
  readonly wait?: boolean;
}

/** What {@link stopPod} did. */
export type StopOutcome = 'stopped' | 'already-stopped';

const POLL_MS = 50;

/** True while some process holds the pod's lock. */
async function isRunning(podDir: string): Promise<boolean> {
  return (await probePodLock(path.join(podDir, POD_FILES.lock))) === 'held';
}

/** Stops running pod `uuid` (see the module doc). */
export async function stopPod(ctx: RuntimeContext, uuid: PodUuid, options: StopPodOptions = {}): Promise<StopOutcome> {
  const store = storeOf(ctx);
  const at = await locatePod(store, uuid);
  if (at === undefined) throw notFound('ERR_POD_NOT_FOUND', `no matches found for "${uuid}"`);
  if (at.dir === 'exited-garbage' || at.dir === 'garbage' || (at.dir === 'run' && !(await isRunning(at.path)))) return 'already-stopped';
  if (at.dir !== 'run') throw failedPrecondition('ERR_POD_NOT_RUNNING', `pod "${uuid}" is not running`);
  const force = options.force ?? false;
  if ((await readSupervisor(at.path)) === 'standalone' && !force) {
    const recorded = await readPodPid(at.path);
    if (recorded !== undefined) {
      try {
        process.kill(recorded.pid, 'SIGTERM');
        return 'stopped';
      } catch (error) {
        // ESRCH: the supervisor is gone (killed); its apps are stopped directly below.
        if (errnoCode(error) !== 'ESRCH') throw error;
      }
    }
  }
  const plan = await loadPlan(ctx, at.path);
  if (plan.stage1 !== 'crun') throw failedPrecondition('ERR_POD_STOP_UNSUPPORTED', `pod "${uuid}" (fly) can only be stopped through its rocklet process`);
  const crun = crunOf(ctx);
  const ids = plan.apps.map((app) => containerId(uuid, app.name));
  for (const id of ids) await crun.kill(id, force ? 'SIGKILL' : 'SIGTERM');
  if (force || options.wait === false) return 'stopped';
  const timeoutMs = Math.max(...plan.apps.map((app) => app.stopTimeoutSeconds), 0) * 1000;
  for (let waited = 0; waited < timeoutMs; waited += POLL_MS) {
    const states = await Promise.all(ids.map((id) => crun.state(id)));
    if (states.every((s) => s === undefined || s.status === 'stopped')) return 'stopped';
    await sleep(POLL_MS);
  }
  for (const id of ids) await crun.kill(id, 'SIGKILL');
  return 'stopped';
}
