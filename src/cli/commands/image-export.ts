/**
 * @module cli/commands/image-export — `rocklet image export IMAGE OUT.aci [--overwrite]`: the
 * stored ACI, always uncompressed, byte-identical to an uncompressed import. The file appears
 * whole (temp + fsync + rename); an existing OUT is refused unless `--overwrite`. An OCI/Docker
 * image is written as an OCI image layout directory OUT (`skopeo copy oci:OUT …` reads it).
 */
import type { CommandHandler } from '../command.js';
import { withActivity } from '../render/activity.js';
import { expectArguments, openImageStore, resolveImage } from './image-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [image = '', out = ''] = expectArguments(ctx, { names: ['IMAGE', 'OUT.aci'] });
  const store = await openImageStore(ctx);
  const record = await resolveImage(store, image);
  const options = { overwrite: ctx.flags.boolean('overwrite'), signal: ctx.signal };
  await withActivity(ctx.out, `exporting ${record.name} to ${out}`, () =>
    (record.oci === undefined ? store.exportAci(record.id, out, options) : store.exportOci(record.id, out, options)));
  ctx.out.debug(`exported ${record.id} to ${out}`);
  return 0;
};
