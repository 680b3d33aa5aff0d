/**
 * @module pod/runtime/enter — `rocklet enter [--app=A] UUID [CMD…]`: run a command inside a
 * running app (`crun exec`), with the app's environment, user and working directory, and a
 * terminal when stdin is one. rkt's rules and messages: the pod must be running; a pod with
 * several apps needs --app; no command means a shell (`/bin/sh` here: the images rocklet runs
 * rarely have bash).
 */
import path from 'node:path';
import { failedPrecondition, invalidArgument, notFound } from '../../util/index.js';
import { POD_FILES } from '../store/layout.js';
import { locatePod } from '../store/locate.js';
import { probePodLock } from '../store/pod-lock.js';
import type { PodUuid } from '../store/uuid.js';
import type { RuntimeContext } from './context.js';
import { containerCgroupProcs } from '../stage1/container-cgroups.js';
import { DEFAULT_CRUN_ROOT } from '../stage1/crun.js';
import { isOwnNamespace } from '../stage1/mount-namespace.js';
import { containerId, crunOf, loadPlan, planApp, storeOf } from './pod-ref.js';

/** The command `enter` runs when none is given. */
export const DEFAULT_ENTER_COMMAND = '/bin/sh';

/** Options of {@link enterPod}. */
export interface EnterOptions {
  readonly app?: string;
  /** Give the command a terminal (the CLI sets it when stdin is a terminal). */
  readonly tty?: boolean;
}

/** Runs `argv` in an app of running pod `uuid` with this process's stdio; resolves with its exit code. */
export async function enterPod(ctx: RuntimeContext, uuid: PodUuid, argv: readonly string[], options: EnterOptions = {}): Promise<number> {
  const at = await locatePod(storeOf(ctx), uuid);
  if (at === undefined) throw notFound('ERR_POD_NOT_FOUND', `no matches found for "${uuid}"`);
  if (at.dir !== 'run' || (await probePodLock(path.join(at.path, POD_FILES.lock))) !== 'held') {
    throw failedPrecondition('ERR_POD_NOT_RUNNING', `pod "${uuid}" is not running`);
  }
  const plan = await loadPlan(ctx, at.path);
  if (plan.stage1 !== 'crun') throw failedPrecondition('ERR_ENTER_UNSUPPORTED', `cannot enter pod "${uuid}": the fly stage1 has no container to enter`);
  let appName = options.app;
  if (appName === undefined) {
    if (plan.apps.length !== 1) {
      throw invalidArgument(
        'ERR_ENTER_APP_REQUIRED',
        `pod contains multiple apps:\n${plan.apps.map((a) => `\t${a.name}`).join('\n')}\nspecify app using "rocklet enter --app= ..."`,
      );
    }
    appName = plan.apps[0]?.name ?? '';
  }
  const app = planApp(plan, uuid, appName);
  let command = argv;
  if (command.length === 0) {
    ctx.onEvent?.({ message: `no command specified, assuming "${DEFAULT_ENTER_COMMAND}"` });
    command = [DEFAULT_ENTER_COMMAND];
  }
  const id = containerId(uuid, app.name);
  // As kubectl exec: the command runs in the container's cgroups (its limits, its unit).
  const joinCgroups = isOwnNamespace(ctx.mountNamespace) ? await containerCgroupProcs(ctx.crunRoot ?? DEFAULT_CRUN_ROOT, id) : [];
  const exit = await crunOf(ctx).exec(id, { args: command, tty: options.tty ?? false }, { stdio: 'inherit', joinCgroups });
  return exit.exitCode ?? 128 + 9;
}
