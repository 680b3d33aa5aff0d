/**
 * @module cli/commands/pod-down — `rocklet pod down UUID`: the sandbox unit's ExecStopPost.
 * Stops what is left of the apps, releases the pod's containers, mounts, network and namespace
 * files, and marks it exited. Idempotent; root only. What was released is printed with --debug.
 */
import { podDown, resolvePodUuid } from '../../pod/index.js';
import type { CommandHandler } from '../command.js';
import { exactArguments, execContext } from './exec-common.js';
import { requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [arg = ''] = exactArguments(ctx, ['UUID']);
  requireRoot();
  const uuid = await resolvePodUuid(storeOf(ctx), arg);
  const result = await podDown(execContext(ctx), uuid);
  for (const line of result.released) ctx.out.debug(`released ${line}`);
  return 0;
};
