/**
 * @module cli/commands/app-cleanup — `rocklet app cleanup UUID APP`: an app unit's
 * ExecStopPost. Records the app's exit status from what systemd passes ExecStopPost
 * (`$EXIT_CODE` = exited|killed|dumped, `$EXIT_STATUS` = code or signal name; a signal N is
 * recorded as 128+N), deletes its crun container and unmounts its rootfs. Run by hand (no
 * `$EXIT_CODE`), it records nothing. Idempotent; root only.
 */
import type { AppEnd } from '../../pod/index.js';
import { appCleanup, resolvePodUuid } from '../../pod/index.js';
import type { CommandHandler } from '../command.js';
import { exactArguments, execContext } from './exec-common.js';
import { requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [arg = '', app = ''] = exactArguments(ctx, ['UUID', 'APP']);
  requireRoot();
  const uuid = await resolvePodUuid(storeOf(ctx), arg);
  const end: AppEnd = ctx.env.EXIT_CODE === undefined ? { kind: 'unknown' } : { kind: 'systemd', exitCode: ctx.env.EXIT_CODE, exitStatus: ctx.env.EXIT_STATUS };
  const result = await appCleanup(execContext(ctx), uuid, app, end);
  ctx.out.debug(`app "${app}": exit ${result.recorded ?? 'unknown'}, container deleted: ${String(result.containerDeleted)}, unmounted: ${String(result.unmounted)}`);
  return 0;
};
