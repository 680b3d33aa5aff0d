/**
 * @module registry/concurrency — run async jobs with at most N at once. The first failure
 * aborts the jobs still running (through the signal each one gets) and is what the whole run
 * rejects with, after every job has settled: nothing keeps writing once the caller sees the
 * error.
 */

/** Runs `job` for every item, `limit` at a time; resolves with the results in item order. */
export async function runLimited<T, R>(
  items: readonly T[],
  limit: number,
  job: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`runLimited: limit must be a positive integer, not ${limit}`);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) onAbort();
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length && !controller.signal.aborted) {
      const index = next++;
      try {
        results[index] = await job(items[index] as T, controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure.error;
  if (controller.signal.aborted) throw controller.signal.reason;
  return results;
}
