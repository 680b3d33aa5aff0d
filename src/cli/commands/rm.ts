/**
 * @module cli/commands/rm — `rocklet rm UUID... [--uuid-file=FILE]` (rkt.md §1.9): delete pods
 * that are not running, now, with no grace period. Each UUID may be a unique prefix. stdout:
 * `"<uuid>"` per removed pod; stderr: each refused or failed pod's error (rkt's
 * `pod "X" is currently running`, `… is currently being prepared`, `… is currently being
 * deleted`, `no matches found for "X"` …), then `failed to remove one or more pods`. The others
 * are removed anyway; exit 0 when every pod was removed, else 254 (rkt's rule). Root only.
 */
import type { PodUuid } from '../../pod/index.js';
import { readUuidFile, removePod, resolvePodUuid } from '../../pod/index.js';
import { EXIT_FAILURE, usageError } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { errorLines } from '../render/item-errors.js';
import { podBeforeDelete, requireRoot, storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const file = ctx.flags.string('uuid-file');
  if (ctx.args.length === 0 && file === undefined) {
    throw usageError('ERR_MISSING_ARGUMENT', 'missing UUID argument', { hint: 'usage: rocklet rm [flags] UUID... (or --uuid-file=FILE)' });
  }
  requireRoot();
  const store = storeOf(ctx);
  const beforeDelete = podBeforeDelete(ctx);
  let failed = 0;
  const report = (error: unknown): void => {
    failed += 1;
    for (const line of errorLines(error, ctx.globals.debug)) ctx.out.diag(line);
  };
  const inputs: Array<() => Promise<string>> = [
    ...(file === undefined ? [] : [() => readUuidFile(file)]),
    ...ctx.args.map((arg) => () => Promise.resolve(arg)),
  ];
  const done = new Set<PodUuid>();
  for (const input of inputs) {
    let uuid: PodUuid;
    try {
      uuid = await resolvePodUuid(store, await input());
    } catch (error) {
      report(error);
      continue;
    }
    if (done.has(uuid)) continue;
    done.add(uuid);
    try {
      await removePod(store, uuid, { beforeDelete });
      ctx.out.stdout(`"${uuid}"\n`);
    } catch (error) {
      report(error);
    }
  }
  if (failed === 0) return 0;
  ctx.out.diag('failed to remove one or more pods');
  return EXIT_FAILURE;
};
