/**
 * @module cli/logs/journal-logs — the logs of a unit pod's app (daemon pods, pods run as units),
 * from the journal.
 *
 * An app unit's output carries `ROCKLET_POD_UUID` and `ROCKLET_APP` (LogExtraFields=, see
 * unit-plan.ts), so this pod version's app is selected whatever its unit was called and after
 * the unit is gone; `_TRANSPORT=stdout` keeps systemd's own messages about the unit out. Each
 * (re)start of the unit is one invocation (`_SYSTEMD_INVOCATION_ID`), kubectl's "container
 * instance":
 *
 * - current run: the unit's InvocationID while it is loaded (asked over D-Bus; a restarted app
 *   that printed nothing yet shows nothing, not its last run), else the newest entry's;
 * - `--previous`: the newest invocation before the current one (read newest first);
 * - `-f`: the current run, then everything the app prints afterwards, new runs included
 *   (a second journalctl after the last entry shown), until the pod is no longer running; then
 *   `journalctl --sync` and one last read after the last entry shown, so nothing the app wrote
 *   before it stopped is lost.
 *
 * `--tail` is journalctl's `-n`; with `--since` as well, entries older than it are dropped from
 * those N (journalctl's own combination counts from the since point instead).
 */
import type { PodStore } from '../../pod/index.js';
import { APP_LOG_FIELDS, podStateAt, podUnitNames } from '../../pod/index.js';
import type { JournalEntry, JournalQuery, SystemdManager } from '../../systemd/index.js';
import { firstJournalEntry, parseUnitName, readJournal, syncJournal } from '../../systemd/index.js';
import { failedPrecondition, hasErrorCode } from '../../util/index.js';
import type { Output } from '../command.js';
import type { LogsOptions } from './options.js';
import type { LineSink } from './sink.js';
import type { LogTarget } from './target.js';

const POD_POLL_MS = 500;

/** Everything `printJournalLogs` needs besides the target. */
export interface JournalLogsContext {
  readonly store: PodStore;
  readonly sink: LineSink;
  readonly out: Output;
  readonly signal: AbortSignal;
  readonly manager: SystemdManager | undefined;
}

function appMatches(target: LogTarget): Record<string, string> {
  return { [APP_LOG_FIELDS.uuid]: target.uuid, [APP_LOG_FIELDS.app]: target.app, _TRANSPORT: 'stdout' };
}

/** The app unit's current InvocationID, when its unit is loaded and belongs to this pod. */
async function unitInvocation(target: LogTarget, manager: SystemdManager | undefined, out: Output): Promise<string | undefined> {
  if (manager === undefined) return undefined;
  let unit;
  try {
    unit = podUnitNames(target.plan.podName ?? target.uuid, parseUnitName).app(target.app);
  } catch (error) {
    out.debug(`no unit name for ${target.label}: ${String(error)}`);
    return undefined;
  }
  try {
    const status = await manager.getUnitProperties(unit);
    if (!(status.environment ?? []).includes(`ROCKLET_POD_UUID=${target.uuid}`)) return undefined;
    return status.invocationId === undefined || status.invocationId === '' ? undefined : status.invocationId;
  } catch (error) {
    if (hasErrorCode(error, 'ERR_UNIT_NOT_FOUND')) return undefined;
    throw error;
  }
}

/** The current run's invocation and the one before it (only with `previous`). */
async function invocations(target: LogTarget, ctx: JournalLogsContext, previous: boolean): Promise<{ current: string | undefined; previous: string | undefined }> {
  const matches = appMatches(target);
  let current = await unitInvocation(target, ctx.manager, ctx.out);
  if (!previous) {
    current ??= (await firstJournalEntry({ matches, reverse: true, lines: 1 }))?.invocationId;
    return { current, previous: undefined };
  }
  for await (const entry of readJournal({ matches, reverse: true })) {
    if (entry.invocationId === undefined) continue;
    current ??= entry.invocationId;
    if (entry.invocationId !== current) return { current, previous: entry.invocationId };
  }
  return { current, previous: undefined };
}

async function print(entries: AsyncIterable<JournalEntry>, ctx: JournalLogsContext, sinceUsec: number | undefined, stop?: () => boolean): Promise<string | undefined> {
  let last: string | undefined;
  for await (const entry of entries) {
    if (ctx.sink.closed || stop?.() === true) break;
    if (sinceUsec !== undefined && entry.realtimeUsec < sinceUsec) continue;
    await ctx.sink.write(entry.message, entry.realtimeUsec, true);
    last = entry.cursor;
  }
  return last;
}

function window(options: LogsOptions): Pick<JournalQuery, 'lines' | 'sinceUsec'> {
  // -n with --since counts from the since point; N newest, then the since filter, is kubectl's.
  if (options.tail !== undefined) return { lines: options.tail };
  return options.sinceUsec === undefined ? {} : { sinceUsec: options.sinceUsec };
}

export async function printJournalLogs(target: LogTarget, options: LogsOptions, ctx: JournalLogsContext): Promise<void> {
  const matches = appMatches(target);
  const runs = await invocations(target, ctx, options.previous);
  if (options.previous) {
    if (runs.previous === undefined) {
      throw failedPrecondition('ERR_NO_PREVIOUS_RUN', `previous run of app "${target.app}" in ${target.label} not found: it has run once${runs.current === undefined ? ' or not at all' : ''}`);
    }
    await print(readJournal({ matches: { ...matches, _SYSTEMD_INVOCATION_ID: runs.previous }, ...window(options) }), ctx, options.sinceUsec);
    return;
  }
  const running = async (): Promise<boolean> => (await podStateAt(ctx.store, target.uuid)) === 'running';
  const follow = options.follow && (await running());
  if (runs.current === undefined) {
    if (!follow) throw failedPrecondition('ERR_APP_NOT_STARTED', `app "${target.app}" in ${target.label} has not started`, { hint: `see "rocklet status ${target.uuid}"` });
  }
  // Where a follower starts when this run has printed nothing: after the app's newest entry now.
  const end = follow ? (await firstJournalEntry({ matches, reverse: true, lines: 1 }))?.cursor : undefined;
  let last = runs.current === undefined
    ? undefined
    : await print(readJournal({ matches: { ...matches, _SYSTEMD_INVOCATION_ID: runs.current }, ...window(options) }), ctx, options.sinceUsec);
  if (!follow || ctx.sink.closed) return;
  last ??= end;
  const stopped = new AbortController();
  const abort = (): void => stopped.abort();
  ctx.signal.addEventListener('abort', abort, { once: true });
  let podGone = false;
  const watcher = (async (): Promise<void> => {
    while (!stopped.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, POD_POLL_MS));
      if (!stopped.signal.aborted && !(await running())) {
        podGone = true;
        stopped.abort();
      }
    }
  })();
  try {
    const followed = await print(
      readJournal({ matches, follow: true, ...(last === undefined ? {} : { afterCursor: last }) }, stopped.signal),
      ctx, undefined, () => stopped.signal.aborted,
    );
    last = followed ?? last;
  } finally {
    stopped.abort();
    ctx.signal.removeEventListener('abort', abort);
    await watcher;
  }
  if (!podGone || ctx.sink.closed) return;
  try {
    await syncJournal();
  } catch (error) {
    ctx.out.debug(`journalctl --sync: ${String(error)}`);
  }
  await print(readJournal({ matches, ...(last === undefined ? {} : { afterCursor: last }) }), ctx, undefined);
}
