/**
 * @module cli/commands/app-prepare — `rocklet app prepare UUID APP`: an app unit's
 * ExecStartPre. Renders the app's rootfs afresh on overlayfs and writes its OCI bundle, joined
 * to the pod's namespaces; then the unit's ExecStart (`crun run`) starts it. Root only.
 */
import { appPrepare, resolvePodUuid } from '../../pod/index.js';
import type { CommandHandler } from '../command.js';
import { exactArguments, execContext } from './exec-common.js';
import { requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [arg = '', app = ''] = exactArguments(ctx, ['UUID', 'APP']);
  requireRoot();
  const uuid = await resolvePodUuid(storeOf(ctx), arg);
  const prepared = await appPrepare(execContext(ctx), uuid, app);
  ctx.out.debug(`prepared ${prepared.prepared.dirs.dir}`);
  return 0;
};
