/**
 * @module fetch/remote-cache — what the store remembers about URLs (rkt's `remote` table,
 * rkt.md §3.6), beside the image store under `<dir>/images/`:
 *
 * ```
 * remote/<sha256 of URL>.json       RemoteRecord: the image the URL gave, its validators, max-age
 * downloads/<sha256 of URL>.lock    held (exclusive) while a process fetches the URL
 * downloads/<sha256 of URL>.part    a download in progress or interrupted (resumable)
 * downloads/<sha256 of URL>.meta    PartialMeta of that .part: the validators it was started with
 * ```
 *
 * Records and metas are written atomically; a missing or unreadable record just means "not
 * cached". A record whose image was removed from the store is ignored.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, readTextIfExists, tryLockFile, writeJsonAtomic } from '../../util/index.js';
import type { ImageId } from '../format/aci/image-id.js';
import { isImageId } from '../format/aci/image-id.js';
import type { StoreLayout } from '../store/store-layout.js';

/** The cache entry of one URL. */
export interface RemoteRecord {
  readonly url: string;
  readonly imageId: ImageId;
  readonly etag?: string | undefined;
  readonly lastModified?: string | undefined;
  /** Cache-Control max-age in seconds (0 or absent: always revalidate). */
  readonly maxAgeSeconds: number;
  /** When the image was last downloaded or revalidated (ms since the epoch). */
  readonly checkedAt: number;
  /** True when the image's signature was verified when it was downloaded. */
  readonly verified: boolean;
}

/** The validators a partial download was started with (to resume it only if they still hold). */
export interface PartialMeta {
  readonly url: string;
  readonly etag?: string | undefined;
  readonly lastModified?: string | undefined;
  /** The full size, when the server said. */
  readonly totalBytes?: number | undefined;
}

/** The files of one URL. */
export interface RemotePaths {
  readonly record: string;
  readonly lock: string;
  readonly part: string;
  readonly meta: string;
}

function remoteDir(layout: StoreLayout): string {
  return path.join(layout.root, 'remote');
}

function downloadsDir(layout: StoreLayout): string {
  return path.join(layout.root, 'downloads');
}

/** The paths for `url` (directories created). */
export async function remotePaths(layout: StoreLayout, url: string): Promise<RemotePaths> {
  const key = createHash('sha256').update(url).digest('hex');
  await mkdir(remoteDir(layout), { recursive: true, mode: 0o755 });
  await mkdir(downloadsDir(layout), { recursive: true, mode: 0o700 });
  const base = path.join(downloadsDir(layout), key);
  return { record: path.join(remoteDir(layout), `${key}.json`), lock: `${base}.lock`, part: `${base}.part`, meta: `${base}.meta` };
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch (error) {
    // A cache entry we cannot read is a cache miss, not a failure: the next fetch rewrites it.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

const optionalString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The record of `url`, if there is a well-formed one. */
export async function readRemoteRecord(paths: RemotePaths, url: string): Promise<RemoteRecord | undefined> {
  const json = await readJson(paths.record);
  if (json === undefined || json.url !== url || typeof json.imageId !== 'string' || !isImageId(json.imageId)) return undefined;
  return {
    url,
    imageId: json.imageId,
    etag: optionalString(json.etag),
    lastModified: optionalString(json.lastModified),
    maxAgeSeconds: typeof json.maxAgeSeconds === 'number' ? json.maxAgeSeconds : 0,
    checkedAt: typeof json.checkedAt === 'number' ? json.checkedAt : 0,
    verified: json.verified === true,
  };
}

export async function writeRemoteRecord(paths: RemotePaths, record: RemoteRecord): Promise<void> {
  await writeJsonAtomic(paths.record, record);
}

/** The meta of the partial download of `url`, if any. */
export async function readPartialMeta(paths: RemotePaths, url: string): Promise<PartialMeta | undefined> {
  const json = await readJson(paths.meta);
  if (json === undefined || json.url !== url) return undefined;
  return {
    url,
    etag: optionalString(json.etag),
    lastModified: optionalString(json.lastModified),
    totalBytes: typeof json.totalBytes === 'number' ? json.totalBytes : undefined,
  };
}

export async function writePartialMeta(paths: RemotePaths, meta: PartialMeta): Promise<void> {
  await writeJsonAtomic(paths.meta, meta, { mode: 0o600 });
}

/** Size of the partial file (0 when there is none). */
export async function partialSize(paths: RemotePaths): Promise<number> {
  try {
    return (await stat(paths.part)).size;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw error;
  }
}

/** Forget the partial download (meta first: a part without meta is never resumed). */
export async function discardPartial(paths: RemotePaths): Promise<void> {
  await rm(paths.meta, { force: true });
  await rm(paths.part, { force: true });
}

/**
 * Remove partial downloads untouched for longer than `olderThanMs` whose URL nobody is
 * fetching (for gc). Returns the removed file names.
 */
export async function removeStaleDownloads(layout: StoreLayout, olderThanMs: number, now: Date = new Date()): Promise<string[]> {
  const dir = downloadsDir(layout);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.part'))) {
    const base = path.join(dir, name.slice(0, -'.part'.length));
    const lock = await tryLockFile(`${base}.lock`, 'exclusive');
    if (lock === undefined) continue;
    try {
      const age = now.getTime() - (await stat(`${base}.part`)).mtimeMs;
      if (age <= olderThanMs) continue;
      await rm(`${base}.meta`, { force: true });
      await rm(`${base}.part`, { force: true });
      removed.push(`downloads/${name}`);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    } finally {
      await lock.release();
    }
  }
  return removed;
}
