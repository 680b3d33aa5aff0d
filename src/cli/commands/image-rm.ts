/**
 * @module cli/commands/image-rm — `rocklet image rm IMAGE…`, as rkt did it: every argument is
 * resolved first (an ID and a name of the same image remove it once), then each image is
 * removed. stdout: `successfully removed aci for image: "<id>"` per image; stderr: each
 * argument's error, then `N image(s) successfully removed` and `N image(s) cannot be removed`.
 * Exit 0 when every argument was removed, else 254 (after removing the others). Trees stay for
 * the pods using them until `image gc` (rkt.md §1.10).
 */
import type { ImageId, ImageStore } from '../../image/index.js';
import { EXIT_FAILURE } from '../../util/index.js';
import type { CommandContext, CommandHandler } from '../command.js';
import { errorLines } from '../render/item-errors.js';
import { expectArguments, openImageStore, resolveImage } from './image-common.js';

/** What removing a list of images did. */
export interface RemovalOutcome {
  readonly removed: number;
  readonly failed: number;
}

/** Remove `ids` (already resolved, without duplicates), printing rkt's lines. */
export async function removeImages(ctx: CommandContext, store: ImageStore, ids: readonly ImageId[]): Promise<RemovalOutcome> {
  let removed = 0;
  let failed = 0;
  for (const id of ids) {
    try {
      await store.remove(id);
      ctx.out.stdout(`successfully removed aci for image: "${id}"\n`);
      removed += 1;
    } catch (error) {
      failed += 1;
      ctx.out.diag(`error removing aci for image "${id}":`);
      for (const line of errorLines(error, ctx.globals.debug)) ctx.out.diag(`  ${line}`);
    }
  }
  if (removed > 0) ctx.out.diag(`${removed} image(s) successfully removed`);
  return { removed, failed };
}

export const handler: CommandHandler = async (ctx) => {
  const args = expectArguments(ctx, { names: ['IMAGE'], variadic: true });
  const store = await openImageStore(ctx);
  const ids: ImageId[] = [];
  let unresolved = 0;
  for (const arg of args) {
    try {
      const { id } = await resolveImage(store, arg);
      if (!ids.includes(id)) ids.push(id);
    } catch (error) {
      unresolved += 1;
      for (const line of errorLines(error, ctx.globals.debug)) ctx.out.diag(line);
    }
  }
  const { failed } = await removeImages(ctx, store, ids);
  if (unresolved + failed === 0) return 0;
  ctx.out.diag(`${unresolved + failed} image(s) cannot be removed`);
  return EXIT_FAILURE;
};
