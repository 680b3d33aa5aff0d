/**
 * @module pod/probe/hooks — runs an app's Kubernetes lifecycle hook against its running
 * container (`rocklet app hook`, the app unit's ExecStartPost= / ExecStop=, and the daemon
 * before a probe-caused kill). postStart waits for crun to report the container running
 * (ExecStartPost= starts right after crun does); preStop is bounded by the app's grace period.
 */
import type { HookName } from '../../podfile/index.js';
import { failedPrecondition, invalidArgument } from '../../util/index.js';
import type { RuntimeContext } from '../runtime/context.js';
import { containerId, crunOf, planApp } from '../runtime/pod-ref.js';
import type { PodUuid } from '../store/uuid.js';
import { runProbeAction } from './actions.js';
import type { ProbeResult } from './probe-state.js';
import { podProbeSite } from './target.js';

export const HOOK_NAMES: readonly HookName[] = ['postStart', 'preStop'];

/** How long postStart waits for crun to have started the container. */
const CONTAINER_START_WAIT_MS = 30_000;

export async function waitRunning(ctx: RuntimeContext, id: string, signal: AbortSignal): Promise<void> {
  const crun = crunOf(ctx);
  const until = Date.now() + CONTAINER_START_WAIT_MS;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    const state = await crun.state(id);
    if (state?.status === 'running') return;
    if (state?.status === 'stopped') throw failedPrecondition('ERR_HOOK_CONTAINER_STOPPED', `container ${id} stopped before its postStart hook ran`);
    if (Date.now() > until || signal.aborted) throw failedPrecondition('ERR_HOOK_CONTAINER_NOT_RUNNING', `container ${id} was not running after ${CONTAINER_START_WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Runs hook `hook` of app `app` of running pod `uuid`; undefined when the app has no such hook.
 * `crunBinary` is crun's absolute path.
 */
export async function runAppHook(ctx: RuntimeContext, uuid: PodUuid, app: string, hook: string, crunBinary: string): Promise<ProbeResult | undefined> {
  if (!(HOOK_NAMES as readonly string[]).includes(hook)) throw invalidArgument('ERR_HOOK_UNKNOWN', `unknown hook "${hook}" (hooks: ${HOOK_NAMES.join(', ')})`);
  const site = await podProbeSite(ctx, uuid, crunBinary);
  const planned = planApp(site.plan, uuid, app);
  const action = planned.lifecycle?.[hook as HookName];
  if (action === undefined) return undefined;
  const signal = hook === 'preStop' ? AbortSignal.timeout(Math.max(1, planned.stopTimeoutSeconds) * 1000) : (ctx.signal ?? new AbortController().signal);
  if (hook === 'postStart') await waitRunning(ctx, containerId(uuid, app), signal);
  return runProbeAction(site.target(app), action, signal);
}
