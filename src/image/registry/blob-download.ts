/**
 * @module registry/blob-download — one blob streamed into a file, verified while it streams.
 *
 * Bytes go to `<dest>.partial` and through a hash at once (and to an observer, which a pull
 * uses to unpack a layer while it downloads); `<dest>` appears (fdatasync unless the caller
 * syncs itself, then rename) only when size and digest match the descriptor, so a reader never
 * sees a half or wrong blob. A cut connection or a stall keeps the partial file: the next attempt hashes what
 * it has and asks for the rest with `Range` (blobs are immutable by digest, so no validators
 * are needed). A digest mismatch or an oversized body deletes the partial file.
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm, stat } from 'node:fs/promises';
import { errnoCode, hasErrorCode, unavailable, verificationFailed } from '../../util/index.js';
import type { HttpResponse } from '../fetch/http-client.js';
import { bodyError } from '../fetch/http-client.js';
import type { Descriptor } from './descriptor.js';
import { createDigester, digestAlgorithm } from './digest.js';
import type { RegistryEndpoint } from './endpoint.js';
import type { RegistryEventHandler } from './events.js';
import { downloaded } from './garbage.js';
import { readErrorBody, statusError, transportError } from './registry-errors.js';
import { pullScope } from './token-auth.js';

/** Sees every byte of a blob as it is written to the partial file (store/layer-feed.ts). */
export interface BlobObserver {
  /** `chunk` starts at `position` in the blob; the next chunk waits for the returned promise. */
  write(chunk: Buffer, position: number): Promise<void>;
}

/** Options of {@link downloadBlob}. */
export interface BlobDownloadOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: RegistryEventHandler | undefined;
  readonly observer?: BlobObserver | undefined;
  /**
   * fdatasync the blob before it appears under its name (default true). A caller that makes
   * blobs durable itself before anything points at them (the store's import) passes false, so
   * the flush does not hold the download's slot.
   */
  readonly durable?: boolean | undefined;
}

/** The partial file of a download into `dest`. */
export function partialPath(dest: string): string {
  return `${dest}.partial`;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw error;
  }
}

async function hashFile(file: string, digester: ReturnType<typeof createDigester>): Promise<void> {
  for await (const chunk of createReadStream(file)) digester.update(chunk as Buffer);
}

/** True when the partial file already holds the whole blob (checked by its digest). */
async function completePartial(part: string, descriptor: Descriptor): Promise<boolean> {
  const digester = createDigester(digestAlgorithm(descriptor.digest));
  await hashFile(part, digester);
  return digester.digest() === descriptor.digest;
}

function contentRangeStart(response: HttpResponse): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(response.headers['content-range'] ?? '');
  return match === null ? undefined : Number(match[1]);
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let done = 0;
  while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
}

/**
 * Downloads `descriptor` of `repository` from `endpoint` into `dest`.
 * Errors: `ERR_REGISTRY_BLOB_DIGEST`, `ERR_REGISTRY_BLOB_SIZE`, `ERR_REGISTRY_BLOB_TRUNCATED`,
 * `ERR_REGISTRY_STALLED`, `ERR_REGISTRY_BLOB_UNKNOWN` and the request errors of the endpoint.
 */
export async function downloadBlob(endpoint: RegistryEndpoint, repository: string, descriptor: Descriptor, dest: string, options: BlobDownloadOptions = {}): Promise<void> {
  const part = partialPath(dest);
  const emit = options.onEvent ?? ((): void => undefined);
  const { digest } = descriptor;
  const what = `blob ${digest} of ${endpoint.name}/${repository}`;
  for (let attempt = 0; ; attempt++) {
    let offset = await sizeOf(part);
    // A whole partial file is what a crash between its last write and the rename leaves.
    if (offset === descriptor.size && offset > 0 && (await completePartial(part, descriptor))) {
      await rename(part, dest);
      emit({ kind: 'blob-done', digest, bytes: offset });
      return;
    }
    if (offset >= descriptor.size) {
      await rm(part, { force: true });
      offset = 0;
    }
    const response = await endpoint.get({
      path: `/v2/${repository}/blobs/${digest}`,
      scope: pullScope(repository),
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      what,
      signal: options.signal,
    });
    if ((response.status === 416 || (response.status === 206 && contentRangeStart(response) !== offset)) && attempt === 0) {
      response.close();
      await rm(part, { force: true });
      emit({ kind: 'blob-restart', digest, reason: 'the registry refused the range of the kept partial download' });
      continue;
    }
    if (response.status !== 200 && response.status !== 206) throw statusError(response.status, await readErrorBody(response), what, 'blob');
    if (response.status === 206 && contentRangeStart(response) !== offset) {
      response.close();
      await rm(part, { force: true });
      throw unavailable('ERR_REGISTRY_HTTP', `${what}: the registry answered a range request with another range twice`);
    }
    if (response.status === 200 && offset > 0) {
      emit({ kind: 'blob-restart', digest, reason: 'the registry sent the whole blob (no range support)' });
      offset = 0;
    }
    await receive(response, descriptor, dest, offset, { what, emit, observer: options.observer, durable: options.durable ?? true });
    return;
  }
}

function truncated(what: string, bytes: number, size: number, cause: unknown): Error {
  return unavailable('ERR_REGISTRY_BLOB_TRUNCATED', `${what}: the download ended after ${bytes} of ${size} bytes`, {
    hint: 'run the pull again: it resumes where this one stopped',
    cause,
  });
}

interface ReceiveContext {
  readonly what: string;
  readonly emit: RegistryEventHandler;
  readonly observer: BlobObserver | undefined;
  readonly durable: boolean;
}

async function receive(response: HttpResponse, descriptor: Descriptor, dest: string, offset: number, context: ReceiveContext): Promise<void> {
  const { digest, size } = descriptor;
  const { what, emit, observer } = context;
  const part = partialPath(dest);
  const digester = createDigester(digestAlgorithm(digest));
  if (offset > 0) await hashFile(part, digester);
  emit({ kind: 'blob-start', digest, totalBytes: size, resumeFrom: offset });
  const handle = await open(part, offset === 0 ? 'w' : 'a', 0o600);
  let bytes = offset;
  let closed = false;
  try {
    try {
      for await (const chunk of response.body) {
        response.progress();
        const buffer = chunk as Buffer;
        if (bytes + buffer.length > size) {
          await rm(part, { force: true });
          throw verificationFailed('ERR_REGISTRY_BLOB_SIZE', `${what}: the registry sent more than the ${size} bytes the manifest declares`, {
            hint: 'the registry or a proxy serves wrong content; nothing was kept',
          });
        }
        // The file write runs on libuv's pool while the observer (the layer's unpack) takes the chunk.
        await (observer === undefined ? writeAll(handle, buffer) : Promise.all([writeAll(handle, buffer), observer.write(buffer, bytes)]));
        digester.update(buffer);
        bytes += buffer.length;
        downloaded(buffer.length);
        emit({ kind: 'blob-progress', digest, bytes, totalBytes: size });
      }
    } catch (error) {
      // The local disk failing (full, over quota) is not the network's fault: passed on as is.
      if (errnoCode(error) === 'ENOSPC' || errnoCode(error) === 'EDQUOT') throw error;
      const mapped = bodyError(response, error, bytes);
      // A cut connection keeps the partial file for the next attempt.
      throw hasErrorCode(mapped, 'ERR_FETCH_TRUNCATED') ? truncated(what, bytes, size, mapped) : transportError(mapped, what);
    } finally {
      response.close();
    }
    if (bytes < size) throw truncated(what, bytes, size, undefined);
    const actual = digester.digest();
    if (actual !== digest) {
      await handle.close();
      closed = true;
      await rm(part, { force: true });
      throw verificationFailed('ERR_REGISTRY_BLOB_DIGEST', `${what}: the content hashes to ${actual}, not to ${digest}`, {
        hint: 'the registry or a proxy serves wrong content; nothing was kept',
      });
    }
    if (context.durable) await handle.datasync();
  } finally {
    if (!closed) await handle.close();
  }
  await rename(part, dest);
  emit({ kind: 'blob-done', digest, bytes });
}
