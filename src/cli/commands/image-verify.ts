/**
 * @module cli/commands/image-verify — `rocklet image verify IMAGE…`: recompute the hash of each
 * image's rendered tree and compare it with the one recorded when the tree was made. stdout per
 * image: `successfully verified checksum for image: "<arg>" ("<id>")`; for a modified tree
 * `tree cache verification failed for image "<arg>": …; rebuilding...` and, once it is rendered
 * again, `successfully rebuilt tree for image: "<arg>" ("<id>")`; for an image never rendered
 * `image "<arg>" not rendered; no verification needed`. An argument that cannot be resolved or
 * checked is reported on stderr and the others are still checked; then exit 254.
 */
import { EXIT_FAILURE } from '../../util/index.js';
import type { CommandContext, CommandHandler } from '../command.js';
import { withActivity } from '../render/activity.js';
import { errorLines } from '../render/item-errors.js';
import type { ImageStore } from '../../image/index.js';
import { expectArguments, openImageStore, resolveImage } from './image-common.js';

async function verifyOne(ctx: CommandContext, store: ImageStore, arg: string): Promise<void> {
  const record = await resolveImage(store, arg);
  const result = await withActivity(ctx.out, `verifying ${record.name}`, () => store.verify(record.id, ctx.signal));
  switch (result.status) {
    case 'ok':
      ctx.out.stdout(`successfully verified checksum for image: "${arg}" ("${record.id}")\n`);
      return;
    case 'not-rendered':
      ctx.out.stdout(`image "${arg}" not rendered; no verification needed\n`);
      return;
    case 'rebuilt':
      ctx.out.stdout(
        `tree cache verification failed for image "${arg}": the tree hashes to ${result.actual}, not the recorded ${result.expected}; rebuilding...\n`
          + `successfully rebuilt tree for image: "${arg}" ("${record.id}")\n`,
      );
      return;
  }
}

export const handler: CommandHandler = async (ctx) => {
  const args = expectArguments(ctx, { names: ['IMAGE'], variadic: true });
  const store = await openImageStore(ctx);
  let failed = 0;
  for (const arg of args) {
    try {
      await verifyOne(ctx, store, arg);
    } catch (error) {
      failed += 1;
      for (const line of errorLines(error, ctx.globals.debug)) ctx.out.diag(line);
    }
  }
  if (failed === 0) return 0;
  ctx.out.diag(`${failed} image(s) could not be verified`);
  return EXIT_FAILURE;
};
