/**
 * @module pod/runtime/unit-start — a pod's start done by the caller in-process, for units made
 * with `preparedByCaller` (unit-plan.ts): `pod up` (sandbox, lock holder) and `app prepare` of
 * every app, with the same code the units run, so each app unit's first start skips its Node
 * process (the sandbox unit of such a pod has no ExecStart= at all). The daemon uses it to keep
 * two Node starts (60–130 ms each) off a pod's critical path; a unit restarted later by systemd
 * still prepares afresh.
 *
 * The lock holder is spawned by the caller, so it starts in the caller's cgroup: the caller
 * must move it into the sandbox unit (systemd's AttachProcessesToUnit) once that unit is
 * active. Until then the pod's liveness depends on the caller; if the caller dies first, the
 * holder dies with the caller's unit and the pod reads `exited` (its resources are released by
 * `pod down` or gc like any exited pod's).
 */
import { rm } from 'node:fs/promises';
import { ensureAppExitsDir } from '../store/app-exits.js';
import type { PodUuid } from '../store/uuid.js';
import { appPrepare } from './app-unit.js';
import type { RuntimeContext } from './context.js';
import { podDown, podUp } from './sandbox.js';
import { appStartedMarker } from './unit-scripts.js';
import { loadPlan } from './pod-ref.js';
import { failedPrecondition } from '../../util/index.js';

/** What {@link upForUnits} left running. */
export interface UpForUnits {
  readonly podDir: string;
  /** The lock holder, to be attached to the sandbox unit. */
  readonly holderPid: number;
}

/**
 * Brings prepared pod `uuid` up and prepares all its apps in this process, so each app unit's
 * first start skips its own prepare (see unit-scripts' `appStartedMarker`).
 * On failure everything made is released again (the pod ends `exited`) and the error thrown.
 */
export async function upForUnits(ctx: RuntimeContext, uuid: PodUuid): Promise<UpForUnits> {
  const up = await podUp(ctx, uuid);
  if (!up.started || up.holderPid === undefined) {
    throw failedPrecondition('ERR_POD_ALREADY_UP', `pod "${uuid}" is already up: its units must bring it up themselves`);
  }
  try {
    const plan = await loadPlan(ctx, up.podDir);
    // The app units' ExecStopPost= write their exit records there with `sh` builtins.
    await ensureAppExitsDir(up.podDir);
    await Promise.all(plan.apps.map(async (app) => {
      await appPrepare(ctx, uuid, app.name);
      // A new pod's dir has none; were one left, the unit's first start would prepare again.
      await rm(appStartedMarker(up.podDir, app.name), { force: true });
    }));
    return { podDir: up.podDir, holderPid: up.holderPid };
  } catch (error) {
    await podDown(ctx, uuid);
    throw error;
  }
}
