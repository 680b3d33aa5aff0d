/**
 * @module cli/commands/pod-up — `rocklet pod up UUID`: the sandbox unit's ExecStart (DESIGN.md
 * §3). Brings a prepared pod's sandbox up (network, IPC/UTS namespaces, hosts/resolv, volumes),
 * leaves a lock holder in the unit and prints the UUID. Idempotent; root only.
 */
import { podUp, resolvePodUuid } from '../../pod/index.js';
import type { CommandHandler } from '../command.js';
import { exactArguments, networkingContext } from './exec-common.js';
import { requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [arg = ''] = exactArguments(ctx, ['UUID']);
  requireRoot();
  const uuid = await resolvePodUuid(storeOf(ctx), arg);
  const result = await podUp(await networkingContext(ctx), uuid);
  if (!result.started) ctx.out.debug(`pod "${uuid}" is already up`);
  ctx.out.stdout(`${uuid}\n`);
  return 0;
};
