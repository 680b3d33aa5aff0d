/**
 * @module cli/commands/status — `rocklet status [--wait[=DURATION]] [--format=json] UUID|--uuid-file=FILE`
 * (rkt.md §1.8): `key=value` lines in rkt's order — `state=`, `created=`, `started=`,
 * `networks=`, `pid=`, `exited=`, then `app-<name>=<exit code>` per recorded app unless the pod
 * is running — or rkt's api/v1 Pod object with `--format json`. Exit 0 whatever the apps'
 * exit codes.
 *
 * `--wait` (bare or `true`: forever; a duration: at most that long; `false`: no wait) polls
 * every 100 ms until the pod has exited, then prints its status. A timeout is its own error,
 * `error waiting for pod to finish: context deadline exceeded` (`ERR_POD_WAIT_TIMEOUT`, 254).
 */
import { podStatus, statusEntries, waitForPodExit } from '../../pod/index.js';
import { isErrorCategory, parseDuration, usageError } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { formatJson, isJsonFormat } from '../render/json.js';
import { podJson } from '../render/pods.js';
import { formatTimestamp } from '../render/time.js';
import { podArgument, storeOf } from './store-common.js';

/** `--wait`'s value: undefined = do not wait; `Infinity` = no limit; else milliseconds. */
export function parseWait(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const word = text.toLowerCase();
  if (word === 'true' || word === '1' || word === 'yes') return Number.POSITIVE_INFINITY;
  if (word === 'false' || word === '0' || word === 'no') return undefined;
  try {
    return parseDuration(text);
  } catch (error) {
    if (!isErrorCategory(error, 'invalid-argument')) throw error;
    throw usageError('ERR_FLAG_VALUE', `--wait: ${error.message}`, { hint: 'give a duration such as 30s or 5m, or no value to wait without a limit' });
  }
}

export const handler: CommandHandler = async (ctx) => {
  const wait = parseWait(ctx.flags.string('wait'));
  const store = storeOf(ctx);
  const uuid = await podArgument(ctx, store, ctx.args);
  if (wait !== undefined) {
    await waitForPodExit(store, uuid, { timeoutMs: Number.isFinite(wait) ? wait : undefined, signal: ctx.signal });
  }
  const info = await podStatus(store, uuid);
  const format = ctx.globals.format;
  if (isJsonFormat(format)) {
    ctx.out.stdout(formatJson(podJson(info), format));
    return 0;
  }
  ctx.out.stdout(statusEntries(info, formatTimestamp).map(([key, value]) => `${key}=${value}\n`).join(''));
  return 0;
};
