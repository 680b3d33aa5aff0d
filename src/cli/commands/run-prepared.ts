/**
 * @module cli/commands/run-prepared — `rocklet run-prepared UUID` (rkt.md §1.4): run a prepared
 * pod in the foreground (supervise.ts) and exit with its exit code: the first failing app's,
 * else 0; 254 when rocklet itself fails. Root only. The pod's network and DNS were fixed when it
 * was prepared; the network flags are accepted for rkt compatibility only when they agree.
 */
import type { PodUuid, RuntimeContext } from '../../pod/index.js';
import { resolvePodUuid, runPreparedPod } from '../../pod/index.js';
import type { CommandContext, CommandHandler } from '../command.js';
import { exactArguments, networkingContext } from './exec-common.js';
import { requireRoot, storeOf } from './store-common.js';

/** Runs prepared pod `uuid` with the apps on this process's stdio; returns the exit code. */
export async function runInForeground(ctx: CommandContext, runtime: RuntimeContext, uuid: PodUuid): Promise<number> {
  // The apps' output reaches this terminal as before, through their log files (rocklet logs).
  const result = await runPreparedPod(runtime, uuid, { stdio: 'inherit', logs: { forward: { stdout: process.stdout, stderr: process.stderr } } });
  for (const line of result.released) ctx.out.debug(`released ${line}`);
  return result.exitCode;
}

export const handler: CommandHandler = async (ctx) => {
  const [arg = ''] = exactArguments(ctx, ['UUID']);
  requireRoot();
  for (const flag of ['net', 'dns', 'dns-search', 'dns-opt', 'dns-domain', 'hosts-entry', 'hostname']) {
    if (ctx.flags.given(flag)) ctx.out.warn(`--${flag} is ignored: the pod's network settings were fixed by "prepare"`);
  }
  const uuid = await resolvePodUuid(storeOf(ctx), arg);
  return runInForeground(ctx, await networkingContext(ctx, true), uuid);
};
