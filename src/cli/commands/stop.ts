/**
 * @module cli/commands/stop — `rocklet stop [--force] UUID...` (rkt.md §1.9): SIGTERM the
 * pod's apps (SIGKILL after their stop timeout), or SIGKILL with --force. stdout: `"<uuid>"` per
 * stopped pod; `pod "<uuid>" is already stopped` for one that has exited; errors on stderr,
 * then `failed to stop N pod(s)` and exit 254. Root only.
 */
import type { PodUuid } from '../../pod/index.js';
import { readUuidFile, resolvePodUuid, stopPod } from '../../pod/index.js';
import { EXIT_FAILURE, usageError } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { errorLines } from '../render/item-errors.js';
import { execContext } from './exec-common.js';
import { requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const file = ctx.flags.string('uuid-file');
  if (ctx.args.length === 0 && file === undefined) {
    throw usageError('ERR_MISSING_ARGUMENT', 'missing UUID argument', { hint: 'usage: rocklet stop [--force] UUID... (or --uuid-file=FILE)' });
  }
  requireRoot();
  const store = storeOf(ctx);
  const runtime = execContext(ctx);
  const force = ctx.flags.boolean('force');
  let failed = 0;
  const inputs: Array<() => Promise<string>> = [...(file === undefined ? [] : [() => readUuidFile(file)]), ...ctx.args.map((arg) => () => Promise.resolve(arg))];
  const done = new Set<PodUuid>();
  for (const input of inputs) {
    try {
      const uuid = await resolvePodUuid(store, await input());
      if (done.has(uuid)) continue;
      done.add(uuid);
      const outcome = await stopPod(runtime, uuid, { force });
      ctx.out.stdout(outcome === 'already-stopped' ? `pod "${uuid}" is already stopped\n` : `"${uuid}"\n`);
    } catch (error) {
      failed += 1;
      for (const line of errorLines(error, ctx.globals.debug)) ctx.out.diag(line);
    }
  }
  if (failed === 0) return 0;
  ctx.out.diag(`failed to stop ${failed} pod(s)`);
  return EXIT_FAILURE;
};
