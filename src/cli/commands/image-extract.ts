/**
 * @module cli/commands/image-extract — `rocklet image extract [--rootfs-only] [--overwrite]
 * IMAGE DIR`: unpack the image alone (no dependencies) into DIR (`manifest` + `rootfs/`, or
 * the root filesystem only), with the same safe extraction as an import. DIR appears whole;
 * an existing DIR is refused unless `--overwrite`, and `/` always.
 */
import type { CommandHandler } from '../command.js';
import { expectArguments, openImageStore, resolveImage } from './image-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [image = '', dir = ''] = expectArguments(ctx, { names: ['IMAGE', 'DIR'] });
  const store = await openImageStore(ctx);
  const record = await resolveImage(store, image);
  await store.extract(record.id, dir, {
    overwrite: ctx.flags.boolean('overwrite'), rootfsOnly: ctx.flags.boolean('rootfs-only'), signal: ctx.signal,
  });
  ctx.out.debug(`extracted ${record.id} to ${dir}`);
  return 0;
};
