/**
 * @module cli/logs/file-logs — the logs of a standalone pod's app (`rocklet run`,
 * `run-prepared`), from its log files (pod/logs). A standalone pod runs each app once, so there
 * is no previous run; following ends when the pod is no longer running.
 */
import type { PodStore } from '../../pod/index.js';
import { podStateAt, readAppLog } from '../../pod/index.js';
import { failedPrecondition } from '../../util/index.js';
import type { LogsOptions } from './options.js';
import type { LineSink } from './sink.js';
import type { LogTarget } from './target.js';

export async function printFileLogs(target: LogTarget, options: LogsOptions, store: PodStore, sink: LineSink, signal: AbortSignal): Promise<void> {
  if (options.previous) {
    throw failedPrecondition('ERR_NO_PREVIOUS_RUN', `previous run of app "${target.app}" in ${target.label} not found: a standalone pod runs each app once`);
  }
  const running = async (): Promise<boolean> => !sink.closed && !signal.aborted && (await podStateAt(store, target.uuid)) === 'running';
  const records = readAppLog(target.podDir, target.app, {
    ...(options.tail === undefined ? {} : { tail: options.tail }),
    ...(options.sinceUsec === undefined ? {} : { sinceUsec: options.sinceUsec }),
    ...(options.follow ? { follow: { running, signal } } : {}),
  });
  for await (const record of records) {
    if (sink.closed) break;
    await sink.write(record.content, record.timeUsec, !record.partial);
  }
}
