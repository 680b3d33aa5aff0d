/**
 * @module fetch/download — stream one URL into its partial file, resuming when it can.
 *
 * Memory stays flat: each chunk is written before the next is read. A kept partial is resumed
 * with `Range` + `If-Range` (its strong ETag or Last-Modified); a 206 appends, a 200 means the
 * server ignored the range or the validators changed, so the partial is discarded and the body
 * written from the start. A cut connection or a stall keeps what arrived for the next attempt.
 * Without a kept partial, the stored copy's validators make the request conditional (304).
 * The caller holds the URL's lock.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { failedPrecondition, notFound, unavailable } from '../../util/index.js';
import type { FetchEventHandler } from './events.js';
import type { HttpContext, HttpResponse } from './http-client.js';
import { bodyError, describeStatus, httpGet } from './http-client.js';
import type { RemotePaths } from './remote-cache.js';
import { discardPartial, partialSize, readPartialMeta, writePartialMeta } from './remote-cache.js';

/** Validators of the copy the store already has. */
export interface CachedValidators {
  readonly etag?: string | undefined;
  readonly lastModified?: string | undefined;
}

/** The outcome of {@link download}. */
export type DownloadResult =
  | { readonly kind: 'not-modified'; readonly maxAgeSeconds: number }
  | {
      readonly kind: 'complete';
      /** The finished partial file; the caller consumes and discards it. */
      readonly file: string;
      readonly bytes: number;
      readonly etag: string | undefined;
      readonly lastModified: string | undefined;
      readonly maxAgeSeconds: number;
    };

/** Cache-Control max-age in seconds; `no-cache`, `no-store` or none → 0. */
export function maxAgeOf(headers: IncomingHttpHeaders): number {
  const value = headers['cache-control'] ?? '';
  if (/(^|,)\s*(no-cache|no-store)\s*(,|$)/i.test(value)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(value);
  return match === null ? 0 : Number(match[1]);
}

function strongEtag(headers: IncomingHttpHeaders): string | undefined {
  const etag = headers.etag;
  return etag !== undefined && !etag.startsWith('W/') ? etag : undefined;
}

/** Throws the error that a non-success status means. */
export function statusError(response: HttpResponse): never {
  const url = response.url.href;
  response.close();
  if (response.status === 404 || response.status === 410) {
    throw notFound('ERR_FETCH_NOT_FOUND', `${url}: not found (${describeStatus(response)})`, { hint: 'check the URL or the image name' });
  }
  if (response.status >= 500) {
    throw unavailable('ERR_FETCH_HTTP', `${url}: the server failed (${describeStatus(response)})`, { hint: 'the server may be temporarily unavailable; try again later' });
  }
  throw failedPrecondition('ERR_FETCH_HTTP', `${url}: the server refused the request (${describeStatus(response)})`);
}

function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['content-length'];
  return value === undefined || !/^\d+$/.test(value) ? undefined : Number(value);
}

/** `bytes START-END/TOTAL` → [START, TOTAL]. */
function contentRange(headers: IncomingHttpHeaders): [number, number | undefined] | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(headers['content-range'] ?? '');
  if (match === null) return undefined;
  return [Number(match[1]), match[2] === '*' ? undefined : Number(match[2])];
}

async function requestHeaders(paths: RemotePaths, url: URL, cached: CachedValidators | undefined): Promise<{ headers: Record<string, string>; offset: number }> {
  const size = await partialSize(paths);
  const meta = size > 0 ? await readPartialMeta(paths, url.href) : undefined;
  const validator = meta?.etag ?? meta?.lastModified;
  if (size > 0 && validator !== undefined) return { headers: { range: `bytes=${size}-`, 'if-range': validator }, offset: size };
  if (size > 0 || meta !== undefined) await discardPartial(paths);
  return {
    headers: {
      ...(cached?.etag === undefined ? {} : { 'if-none-match': cached.etag }),
      ...(cached?.etag === undefined && cached?.lastModified !== undefined ? { 'if-modified-since': cached.lastModified } : {}),
    },
    offset: 0,
  };
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let done = 0;
  while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
}

/**
 * Download `url` into `paths.part`. Errors: `ERR_FETCH_NOT_FOUND`, `ERR_FETCH_HTTP`,
 * `ERR_FETCH_TRUNCATED`, `ERR_FETCH_STALLED` and the connection errors of http-client.ts.
 */
export async function download(
  url: URL,
  paths: RemotePaths,
  context: HttpContext & { readonly cached?: CachedValidators | undefined; readonly onEvent?: FetchEventHandler | undefined },
): Promise<DownloadResult> {
  const emit = context.onEvent ?? ((): void => undefined);
  for (let attempt = 0; ; attempt++) {
    const { headers, offset } = await requestHeaders(paths, url, context.cached);
    const response = await httpGet(url, headers, context);
    if (response.status === 304 && offset === 0 && context.cached !== undefined) {
      response.close();
      return { kind: 'not-modified', maxAgeSeconds: maxAgeOf(response.headers) };
    }
    // 416: the kept part no longer fits the resource; start over once.
    if (response.status === 416 && offset > 0 && attempt === 0) {
      response.close();
      await discardPartial(paths);
      emit({ kind: 'download-restart', url: url.href, reason: 'the server refused the range of the kept partial download' });
      continue;
    }
    if (response.status !== 200 && response.status !== 206) statusError(response);
    const range = response.status === 206 ? contentRange(response.headers) : undefined;
    if (offset > 0 && (range === undefined || range[0] !== offset)) {
      emit({ kind: 'download-restart', url: url.href, reason: response.status === 200 ? 'the server sent the whole image (validators changed or no range support)' : 'the server answered with a different range' });
      await discardPartial(paths);
      if (response.status !== 200) {
        response.close();
        if (attempt === 0) continue;
        throw unavailable('ERR_FETCH_HTTP', `${url.href}: the server answered a range request with an unusable range`);
      }
    }
    return receive(response, url, paths, range === undefined ? 0 : offset, emit);
  }
}

async function receive(response: HttpResponse, requested: URL, paths: RemotePaths, offset: number, emit: FetchEventHandler): Promise<DownloadResult> {
  const url = requested.href;
  const length = contentLength(response.headers);
  const totalBytes = contentRange(response.headers)?.[1] ?? (length === undefined ? undefined : offset + length);
  const etag = strongEtag(response.headers);
  const lastModified = response.headers['last-modified'];
  // The meta goes first: a part is resumable only together with the validators it started with.
  if (offset === 0) await writePartialMeta(paths, { url, etag, lastModified, totalBytes });
  emit({ kind: 'download-start', url, totalBytes, resumeFrom: offset });
  const handle = await open(paths.part, offset === 0 ? 'w' : 'a', 0o600);
  let bytes = offset;
  try {
    try {
      for await (const chunk of response.body) {
        response.progress();
        await writeAll(handle, chunk as Buffer);
        bytes += (chunk as Buffer).length;
        emit({ kind: 'download-progress', url, bytes, totalBytes });
      }
    } catch (error) {
      throw bodyError(response, error, bytes);
    } finally {
      response.close();
    }
  } finally {
    await handle.close();
  }
  if (totalBytes !== undefined && bytes !== totalBytes) {
    if (bytes > totalBytes) await discardPartial(paths);
    throw unavailable('ERR_FETCH_TRUNCATED', `${url}: the download ended after ${bytes} of ${totalBytes} bytes (Content-Length mismatch)`, {
      hint: 'run the command again: the download resumes where it stopped when the server supports it',
    });
  }
  emit({ kind: 'download-done', url, bytes });
  return { kind: 'complete', file: paths.part, bytes, etag, lastModified, maxAgeSeconds: maxAgeOf(response.headers) };
}
