/**
 * @module cli/commands/image-render — `rocklet image render [--rootfs-only] [--overwrite] IMAGE
 * DIR`: the root filesystem as the image's apps see it (dependencies merged, pathWhitelist
 * applied), copied out of the tree store. As rkt did, the cached tree is checked first and
 * rebuilt when it was modified (`warning: tree cache is in a bad state. Rebuilding...`). The
 * destination is checked before anything else, so a refused DIR changes nothing.
 */
import { checkDestination } from '../../image/index.js';
import type { CommandHandler } from '../command.js';
import { expectArguments, openImageStore, resolveImage } from './image-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [image = '', dir = ''] = expectArguments(ctx, { names: ['IMAGE', 'DIR'] });
  const overwrite = ctx.flags.boolean('overwrite');
  const store = await openImageStore(ctx);
  const record = await resolveImage(store, image);
  await checkDestination(dir, overwrite);
  const check = await store.verify(record.id, ctx.signal);
  if (check.status === 'rebuilt') ctx.out.warn('tree cache is in a bad state. Rebuilding...');
  const tree = await store.renderTo(record.id, dir, { overwrite, rootfsOnly: ctx.flags.boolean('rootfs-only'), signal: ctx.signal });
  ctx.out.debug(`rendered ${record.id} (tree ${tree?.id ?? 'none: no layers'}) to ${dir}`);
  return 0;
};
