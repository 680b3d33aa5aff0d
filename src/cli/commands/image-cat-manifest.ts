/**
 * @module cli/commands/image-cat-manifest — `rocklet image cat-manifest IMAGE`: the image
 * manifest as stored (keys in their original order), indented with tabs like rkt, or on one
 * line with `--pretty-print=false`. Does not count as a use of the image.
 */
import type { CommandHandler } from '../command.js';
import { expectArguments, openImageStore, resolveImage } from './image-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [image = ''] = expectArguments(ctx, { names: ['IMAGE'] });
  const store = await openImageStore(ctx);
  const record = await resolveImage(store, image);
  const pretty = ctx.flags.boolean('pretty-print', true);
  ctx.out.stdout(`${JSON.stringify(record.manifest.raw, null, pretty ? '\t' : undefined)}\n`);
  return 0;
};
