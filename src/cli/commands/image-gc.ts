/**
 * @module cli/commands/image-gc — `rocklet image gc [--grace-period=24h]` (rkt.md §3.5):
 * removes images unused for longer than the grace period (`0s`: every image not used by a
 * running pod), rendered trees no pod references, and crash leftovers. stdout:
 * `successfully removed aci for image: "<id>"` per image; stderr: `removed treestore "<id>"`
 * per tree, `removed leftover "<path>"` (with --debug), then `N image(s) successfully removed`.
 */
import { podReferences } from '../../pod/index.js';
import { isErrorCategory, parseDuration, usageError } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { expectArguments, openImageStore } from './image-common.js';

/** rkt's default grace period. */
export const DEFAULT_IMAGE_GRACE_PERIOD = '24h';

function gracePeriodMs(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (!isErrorCategory(error, 'invalid-argument')) throw error;
    throw usageError('ERR_FLAG_VALUE', `--grace-period: ${error.message}`, { hint: error.hint });
  }
}

export const handler: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const grace = gracePeriodMs(ctx.flags.string('grace-period') ?? DEFAULT_IMAGE_GRACE_PERIOD);
  const store = await openImageStore(ctx);
  const references = await podReferences(ctx.globals.dir, await store.trees());
  const keepAllTrees = references.keepAllTreesBecause !== undefined;
  if (keepAllTrees) ctx.out.warn(`keeping every rendered tree: ${references.keepAllTreesBecause}`);
  const result = await store.gc({
    gracePeriodMs: grace, referencedTrees: references.trees, keepAllTrees, keepImages: references.runningImages, signal: ctx.signal,
  });
  for (const tree of result.removedTrees) ctx.out.diag(`removed treestore "${tree}"`);
  for (const leftover of result.removedLeftovers) ctx.out.debug(`removed leftover "${leftover}"`);
  if (result.flushedTrees > 0) ctx.out.debug(`flushed ${result.flushedTrees} tree(s) to disk`);
  for (const record of result.removedImages) ctx.out.stdout(`successfully removed aci for image: "${record.id}"\n`);
  if (result.removedImages.length > 0) ctx.out.diag(`${result.removedImages.length} image(s) successfully removed`);
  return 0;
};
