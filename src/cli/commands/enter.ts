/**
 * @module cli/commands/enter — `rocklet enter [--app=APP] UUID [CMD [ARGS...]]` (rkt.md §1.9):
 * run a command in an app of a running pod (`crun exec`, a terminal when stdin is one) and exit
 * with its exit code. rkt's messages: `pod contains multiple apps: …`, `no command specified,
 * assuming "/bin/sh"`. Root only.
 */
import { enterPod, resolvePodUuid } from '../../pod/index.js';
import { usageError } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { execContext } from './exec-common.js';
import { requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [arg, ...command] = ctx.args;
  if (arg === undefined) throw usageError('ERR_MISSING_ARGUMENT', 'missing UUID argument', { hint: 'usage: rocklet enter [--app=APP] UUID [CMD [ARGS...]]' });
  requireRoot();
  const uuid = await resolvePodUuid(storeOf(ctx), arg);
  const app = ctx.flags.string('app');
  return enterPod(execContext(ctx, true), uuid, command, { ...(app === undefined ? {} : { app }), tty: ctx.out.stdinIsTTY });
};
