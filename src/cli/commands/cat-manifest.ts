/**
 * @module cli/commands/cat-manifest — `rocklet cat-manifest UUID` (rkt.md §1.9): print the pod's
 * stored appc PodManifest, indented with a tab unless `--pretty-print=false`.
 */
import type { PodUuid } from '../../pod/index.js';
import { locatePod, readPodManifest } from '../../pod/index.js';
import type { PodStore } from '../../pod/index.js';
import { failedPrecondition, notFound } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { podArgument, storeOf } from './store-common.js';

/** The pod moves between state dirs while we read; a few tries cover a move in between. */
const ATTEMPTS = 3;

async function readManifest(store: PodStore, uuid: PodUuid): Promise<unknown> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const location = await locatePod(store, uuid);
    if (location === undefined) throw notFound('ERR_POD_NOT_FOUND', `pod "${uuid}" does not exist`);
    try {
      const manifest = await readPodManifest(location.path);
      if (manifest !== undefined) return manifest;
      if ((await locatePod(store, uuid))?.path === location.path) break;
    } catch (error) {
      if ((await locatePod(store, uuid))?.path === location.path) throw error;
    }
  }
  throw failedPrecondition('ERR_POD_NO_MANIFEST', `pod "${uuid}" has no manifest: it is still being prepared or its preparation failed`, {
    hint: '"rocklet status" shows its state; "rocklet gc" removes aborted preparations',
  });
}

export const handler: CommandHandler = async (ctx) => {
  const store = storeOf(ctx);
  const uuid = await podArgument(ctx, store, ctx.args);
  const manifest = await readManifest(store, uuid);
  const pretty = ctx.flags.boolean('pretty-print', true);
  ctx.out.stdout(`${pretty ? JSON.stringify(manifest, null, '\t') : JSON.stringify(manifest)}\n`);
  return 0;
};
