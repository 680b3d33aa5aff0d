/**
 * @module cli/commands/export — `rocklet export [--app=APP] [--overwrite] UUID OUT.aci`
 * (rkt.md §1.9): an exited app's final root filesystem (its overlay upper dir over the image)
 * as a gzip ACI with the app's image manifest; see pod/runtime/export. Only exited pods;
 * `--app` when the pod has several apps; OUT must end in `.aci` (`extension must be .aci`)
 * and an existing OUT needs `--overwrite` (`target file exists (try --overwrite)`). Root only:
 * it mounts.
 */
import { exportPodApp } from '../../pod/index.js';
import type { CommandHandler } from '../command.js';
import { expectArguments } from './image-common.js';
import { podArgument, requireRoot, runtimeContext, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [uuidText = '', out = ''] = expectArguments(ctx, { names: ['UUID', 'OUT.aci'] });
  requireRoot();
  const uuid = await podArgument(ctx, storeOf(ctx), [uuidText]);
  const app = ctx.flags.string('app');
  const exported = await exportPodApp(runtimeContext(ctx), uuid, {
    out, overwrite: ctx.flags.boolean('overwrite'), ...(app === undefined ? {} : { app }),
  });
  ctx.out.debug(`exported app "${exported.app}" of pod "${uuid}" to ${out} (${exported.id}, ${exported.sizeBytes} bytes)`);
  return 0;
};
