/**
 * @module cli/commands/app-hook — `rocklet app hook UUID APP postStart|preStop`: an app unit's
 * ExecStartPost= (postStart: the unit counts as started only when it succeeded) and ExecStop=
 * (preStop: before systemd sends SIGTERM, bounded by the grace period). Prints an exec hook's
 * output (the unit's journal) and exits 1 when the hook failed. An app without that hook: 0.
 */
import { resolvePodUuid, runAppHook } from '../../pod/index.js';
import type { CommandHandler } from '../command.js';
import { findProgram } from '../daemon/units.js';
import { exactArguments, execContext } from './exec-common.js';
import { requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [arg = '', app = '', hook = ''] = exactArguments(ctx, ['UUID', 'APP', 'HOOK']);
  requireRoot();
  const uuid = await resolvePodUuid(storeOf(ctx), arg);
  const result = await runAppHook(execContext(ctx), uuid, app, hook, await findProgram('crun', ctx.env.PATH));
  if (result === undefined) return 0;
  if (result.output !== undefined && result.output !== '') ctx.out.stdout(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
  if (result.ok) return 0;
  ctx.out.warn(`${hook} hook of app "${app}" failed: ${result.reason}`);
  return 1;
};
