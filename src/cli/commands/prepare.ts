/**
 * @module cli/commands/prepare — `rocklet prepare [pod flags] IMAGE [app flags] [-- ARGS] [---
 * IMAGE …]` and `prepare --pod-manifest=FILE | --pod-file=FILE` (rkt.md §1.4): fetch (pull
 * policy `new`), verify, render and plan the pod, leave it in the `prepared` state and print
 * its UUID on stdout. Fetch progress and warnings go to stderr; `--quiet` silences them.
 * `run-prepared UUID` runs it later. Exit codes: 0, 2 for usage errors, 254 otherwise.
 */
import { ImageStore, loadFetchSettings, resolvePullPolicy } from '../../image/index.js';
import type { RunRequest } from '../../pod/index.js';
import { envPairsOf, preparePod } from '../../pod/index.js';
import type { CommandContext, CommandHandler } from '../command.js';
import { GLOBAL_FLAGS } from '../globals.js';
import { parseRunArgs } from '../run-args.js';
import { RUN_FLAGS } from '../table/shared-flags.js';
import { FetchProgress, INSECURE_IMAGE_WARNING } from './fetch.js';

/** Parses the command line of `run` or `prepare` with that command's flag table. */
export async function runRequestOf(ctx: CommandContext, command: 'run' | 'prepare'): Promise<RunRequest> {
  return parseRunArgs(ctx.rawArgs, { podFlags: [...RUN_FLAGS, ...GLOBAL_FLAGS], command });
}

export const handler: CommandHandler = async (ctx) => {
  const request = await runRequestOf(ctx, 'prepare');
  const quiet = ctx.flags.boolean('quiet');
  const pullPolicy = resolvePullPolicy(ctx.flags.string('pull-policy'), 'prepare');
  const fetchSettings = await loadFetchSettings(ctx.globals.configDir, { caFile: ctx.flags.string('ca-file'), stallTimeout: ctx.flags.string('stall-timeout'), platform: ctx.flags.string('platform') });
  if (ctx.globals.insecure.has('image') && !quiet) ctx.out.warn(INSECURE_IMAGE_WARNING);
  await ImageStore.open(ctx.globals.dir); // fail on an unusable --dir before anything else
  const progress = new FetchProgress(ctx.out, (text) => process.stderr.write(text));
  try {
    const prepared = await preparePod(
      {
        dataDir: ctx.globals.dir,
        configDir: ctx.globals.configDir,
        insecure: ctx.globals.insecure,
        signal: ctx.signal,
        onEvent: (event) => (quiet ? ctx.out.debug(event.message) : ctx.out.diag(event.message)),
      },
      request,
      {
        fetchSettings,
        ...(ctx.flags.given('pull-policy') || request.source.kind === 'images' ? { pullPolicy } : {}),
        ...(quiet ? {} : { onFetchEvent: progress.handle }),
        inheritedEnv: envPairsOf(ctx.env),
      },
    );
    ctx.out.stdout(`${prepared.uuid}\n`);
  } finally {
    progress.finish();
  }
  return 0;
};
