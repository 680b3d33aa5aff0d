/**
 * @module cli/commands/gc — `rocklet gc [--grace-period=30m] [--expire-prepared=24h]
 * [--mark-only]` (rkt.md §2.4): one pass of rkt's two-phase pod gc. Exited pods are marked
 * (moved to `exited-garbage/`) and deleted once marked longer than the grace period
 * (`--grace-period=0s`: in the same pass); aborted prepares, abandoned embryos and expired
 * prepared pods go to `garbage/` and are deleted at once. Before a directory is deleted, its
 * outside resources are released (mounts, crun containers, network: the runtime's
 * releasePodResources, then any mount left below the pod directory). A pod whose lock is held
 * (running, being prepared, being changed) is never touched.
 *
 * rkt's messages: stderr `moving pod "<uuid>" to garbage`, `moving failed prepare "<uuid>" to
 * garbage`, `moving expired prepared pod "<uuid>" to garbage`, `pod "<uuid>" not removed: still
 * within grace period (30m0s)`; stdout `Garbage collecting pod "<uuid>"`. A pod that cannot be
 * collected is reported (`unable to collect pod …`) and stays in `garbage/` for the next pass;
 * the exit code is then 254. Root only.
 */
import { DEFAULT_EXPIRE_PREPARED_MS, DEFAULT_GRACE_PERIOD_MS, gcEventMessage, gcPods } from '../../pod/index.js';
import { EXIT_FAILURE, isErrorCategory, isRockletError, parseDuration, usageError } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { expectArguments } from './image-common.js';
import { podBeforeDelete, requireRoot, storeOf } from './store-common.js';

function durationFlag(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  try {
    return parseDuration(text);
  } catch (error) {
    if (!isErrorCategory(error, 'invalid-argument')) throw error;
    throw usageError('ERR_FLAG_VALUE', `--${flag}: ${error.message}`, { hint: error.hint });
  }
}

export const handler: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const gracePeriodMs = durationFlag(ctx.flags.string('grace-period'), 'grace-period', DEFAULT_GRACE_PERIOD_MS);
  const expirePreparedMs = durationFlag(ctx.flags.string('expire-prepared'), 'expire-prepared', DEFAULT_EXPIRE_PREPARED_MS);
  requireRoot();
  const result = await gcPods(storeOf(ctx), {
    gracePeriodMs,
    expirePreparedMs,
    markOnly: ctx.flags.boolean('mark-only'),
    beforeDelete: podBeforeDelete(ctx),
    onEvent: (event) => {
      const { stream, text } = gcEventMessage(event);
      if (stream === 'stdout') ctx.out.stdout(`${text}\n`);
      else ctx.out.diag(text);
      if (event.kind === 'failed' && isRockletError(event.error) && event.error.hint !== undefined) ctx.out.diag(`hint: ${event.error.hint}`);
    },
  });
  return result.failed === 0 ? 0 : EXIT_FAILURE;
};
