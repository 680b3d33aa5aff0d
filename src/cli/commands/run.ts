/**
 * @module cli/commands/run — `rocklet run [pod flags] IMAGE [app flags] [-- ARGS] [--- IMAGE …]`
 * and `run --pod-manifest=FILE | --pod-file=FILE` (rkt.md §1.3): prepare the pod exactly as
 * `prepare` does (fetch with pull policy `new`, verify, render, plan), then run it in the
 * foreground like `run-prepared` (SIGINT/SIGTERM stop the apps gracefully). Exit code: the
 * first failing app's (rkt's rule, supervise.ts), else 0; 254 when rocklet itself fails
 * (`crun` missing suggests install.sh or --stage1=fly); a pod refused before it started is
 * removed again. Root only (rkt's message).
 */
import { ImageStore, loadFetchSettings, resolvePullPolicy } from '../../image/index.js';
import type { PodUuid } from '../../pod/index.js';
import { envPairsOf, locatePod, preparePod, removePod } from '../../pod/index.js';
import { runtimeFailure } from '../../util/index.js';
import type { CommandContext, CommandHandler } from '../command.js';
import { networkingContext } from './exec-common.js';
import { FetchProgress, INSECURE_IMAGE_WARNING } from './fetch.js';
import { runRequestOf } from './prepare.js';
import { runInForeground } from './run-prepared.js';
import { requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const request = await runRequestOf(ctx, 'run');
  requireRoot();
  const pullPolicy = resolvePullPolicy(ctx.flags.string('pull-policy'), 'run');
  const fetchSettings = await loadFetchSettings(ctx.globals.configDir, { caFile: ctx.flags.string('ca-file'), stallTimeout: ctx.flags.string('stall-timeout'), platform: ctx.flags.string('platform') });
  if (ctx.globals.insecure.has('image')) ctx.out.warn(INSECURE_IMAGE_WARNING);
  await ImageStore.open(ctx.globals.dir); // fail on an unusable --dir before anything else
  const runtime = await networkingContext(ctx, true);
  const progress = new FetchProgress(ctx.out, (text) => process.stderr.write(text));
  let uuid;
  try {
    ({ uuid } = await preparePod(runtime, request, {
      fetchSettings,
      ...(ctx.flags.given('pull-policy') || request.source.kind === 'images' ? { pullPolicy } : {}),
      onFetchEvent: progress.handle,
      inheritedEnv: envPairsOf(ctx.env),
    }));
  } finally {
    progress.finish();
  }
  try {
    return await runInForeground(ctx, runtime, uuid);
  } catch (error) {
    await removeUnstarted(ctx, uuid, error);
    throw error;
  }
};

/**
 * A pod refused before it started (crun missing, a limit this machine cannot enforce) is still
 * prepared; `run` prepared it a moment ago for this run only, so it goes (rkt left such pods
 * for gc; `run-prepared` keeps them, they are the user's).
 */
async function removeUnstarted(ctx: CommandContext, uuid: PodUuid, error: unknown): Promise<void> {
  const store = storeOf(ctx);
  if ((await locatePod(store, uuid, ['prepared'])) === undefined) return;
  try {
    await removePod(store, uuid);
  } catch (removeError) {
    throw runtimeFailure('ERR_POD_REMOVE', `pod ${uuid} did not start, and removing it failed too`, { cause: new AggregateError([error, removeError]) });
  }
}
