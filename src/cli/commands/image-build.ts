/**
 * @module cli/commands/image-build — `rocklet image build [--overwrite] [--compression=gzip|none]
 * DIR OUT.aci`, like `actool build`: DIR holds `manifest` and `rootfs/`. The manifest is
 * validated first (every problem is printed with its field path and nothing is written); an
 * existing OUT is refused unless `--overwrite`; OUT appears whole or not at all. Prints the
 * image ID (SHA-512 of the uncompressed tar, what `fetch` will print for it) on stdout.
 */
import { buildAci } from '../../image/index.js';
import { usageError } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { expectArguments } from './image-common.js';

export const BUILD_COMPRESSIONS = ['gzip', 'none'] as const;
type BuildCompression = (typeof BUILD_COMPRESSIONS)[number];

function isBuildCompression(value: string): value is BuildCompression {
  return (BUILD_COMPRESSIONS as readonly string[]).includes(value);
}

export const handler: CommandHandler = async (ctx) => {
  const [dir = '', out = ''] = expectArguments(ctx, { names: ['DIR', 'OUT.aci'] });
  const compression = ctx.flags.string('compression') ?? 'gzip';
  if (!isBuildCompression(compression)) {
    throw usageError('ERR_FLAG_VALUE', `invalid value "${compression}" for --compression: expected ${BUILD_COMPRESSIONS.join(' or ')}`);
  }
  const result = await buildAci(dir, out, { overwrite: ctx.flags.boolean('overwrite'), compression });
  ctx.out.debug(`wrote ${out}: ${result.sizeBytes} bytes, image ${result.manifest.name}`);
  ctx.out.stdout(`${result.id}\n`);
  return 0;
};
