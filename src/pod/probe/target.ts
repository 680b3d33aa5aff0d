/**
 * @module pod/probe/target — what probing a running pod needs, read once per pod from its
 * directory: the plan (each app's probes and hooks), its network namespace file and address.
 */
import type { RuntimeContext } from '../runtime/context.js';
import type { PodPlan } from '../runtime/plan.js';
import type { PodUuid } from '../store/uuid.js';
import { containerId, loadPlan, storeOf } from '../runtime/pod-ref.js';
import { podPath } from '../store/layout.js';
import { readNetInfo, readNetnsPath } from '../store/net-info.js';
import { DEFAULT_CRUN_ROOT } from '../stage1/crun.js';
import type { ProbeTarget } from './actions.js';
import { cachedCgroupProcs } from '../stage1/container-cgroups.js';

/** A running pod's plan and where its probes go. */
export interface PodProbeSite {
  readonly plan: PodPlan;
  /** The probe target of app `app` (one per container run: it keeps the container's cgroups once read). */
  target(app: string): ProbeTarget;
}

/** Reads running pod `uuid`'s plan, netns file and address; `crunBinary` is crun's absolute path. */
export async function podProbeSite(ctx: RuntimeContext, uuid: PodUuid, crunBinary: string): Promise<PodProbeSite> {
  const dir = podPath(storeOf(ctx), 'run', uuid);
  const plan = await loadPlan(ctx, dir);
  const netns = await readNetnsPath(dir);
  const podIp = netns === undefined ? undefined : (await readNetInfo(dir)).find((net) => net.ip !== undefined)?.ip;
  const crunRoot = ctx.crunRoot ?? DEFAULT_CRUN_ROOT;
  return {
    plan,
    target: (app) => ({
      ...(netns === undefined ? {} : { netns }),
      ...(podIp === undefined ? {} : { podIp }),
      crunBinary,
      crunRoot,
      containerId: containerId(uuid, app),
      cgroupProcs: cachedCgroupProcs(crunRoot, containerId(uuid, app)),
    }),
  };
}
