/**
 * @module fetch/url-fetcher — an image at an https:// (or allowed http://) URL, with rkt's
 * remote caching (rkt.md §3.6) and the verify-before-import rule.
 *
 * Under the URL's lock: `new` uses the store's copy of the URL when there is one; `update`
 * uses it without asking while Cache-Control max-age holds, then asks conditionally (ETag /
 * Last-Modified; 304 → the stored image). Otherwise the image streams into the URL's partial
 * file (resuming a kept one), its manifest is peeked (a discovery request must match), its
 * signature is verified, and only then is it imported. The partial is dropped once complete,
 * whatever happens next. A copy fetched without verification is never revalidated into a
 * verified fetch: it is downloaded again.
 */
import { withLock } from '../../util/index.js';
import type { ImageRecord } from '../store/image-record.js';
import type { VerifiedSignature } from '../trust/verify.js';
import type { FetchContext, FetchResult } from './context.js';
import { importProgress, notInStore, verifying } from './context.js';
import { download } from './download.js';
import type { ImageRequest } from './image-request.js';
import { checkRequest, requestMismatch } from './image-request.js';
import { peekManifest } from './manifest-peek.js';
import type { RemotePaths, RemoteRecord } from './remote-cache.js';
import { discardPartial, readRemoteRecord, remotePaths, writeRemoteRecord } from './remote-cache.js';
import type { SignatureLocation } from './signature.js';
import { readSignature, verifyImageFile } from './signature.js';

/** One URL to fetch. */
export interface UrlJob {
  readonly url: URL;
  /** Default: the URL + `.asc`. */
  readonly signature?: SignatureLocation | undefined;
  /** The image as the user named it (the URL, or the discovered name). */
  readonly display: string;
  /** Set for discovery: the image must answer this request. */
  readonly request?: ImageRequest | undefined;
}

interface Cached {
  readonly remote: RemoteRecord;
  readonly record: ImageRecord;
}

async function cachedImage(context: FetchContext, paths: RemotePaths, job: UrlJob): Promise<Cached | undefined> {
  const remote = await readRemoteRecord(paths, job.url.href);
  if (remote === undefined) return undefined;
  const record = await context.store.get(remote.imageId);
  if (record === undefined) return undefined;
  if (job.request !== undefined && requestMismatch(job.request, record.name, record.labels) !== undefined) return undefined;
  return { remote, record };
}

async function storeHit(context: FetchContext, cached: Cached, reason: 'policy-new' | 'fresh' | 'not-modified'): Promise<FetchResult> {
  context.emit({ kind: 'cache-hit', url: cached.remote.url, imageId: cached.record.id, reason });
  await context.store.touch(cached.record.id);
  return { record: cached.record, origin: 'cache', verified: undefined };
}

/** Fetch the image at `job.url` under the context's pull policy. */
export async function fetchUrl(context: FetchContext, job: UrlJob): Promise<FetchResult> {
  const paths = await remotePaths(context.store.layout, job.url.href);
  if (context.pullPolicy === 'never') {
    const cached = await cachedImage(context, paths, job);
    if (cached === undefined) throw notInStore(job.display);
    return storeHit(context, cached, 'policy-new');
  }
  return withLock(paths.lock, 'exclusive', async () => {
    const cached = await cachedImage(context, paths, job);
    if (cached !== undefined && context.pullPolicy === 'new') return storeHit(context, cached, 'policy-new');
    const usable = cached !== undefined && (cached.remote.verified || !verifying(context)) ? cached : undefined;
    if (usable !== undefined && Date.now() - usable.remote.checkedAt < usable.remote.maxAgeSeconds * 1000) return storeHit(context, usable, 'fresh');
    const result = await download(job.url, paths, { ...context.http, cached: usable?.remote, onEvent: context.emit });
    if (result.kind === 'not-modified' && usable !== undefined) {
      await writeRemoteRecord(paths, { ...usable.remote, checkedAt: Date.now(), maxAgeSeconds: result.maxAgeSeconds });
      return storeHit(context, usable, 'not-modified');
    }
    if (result.kind === 'not-modified') throw new Error(`unexpected 304 for an unconditional request of ${job.url.href}`);
    try {
      const { record, verified } = await verifyAndImport(context, job, result.file);
      await writeRemoteRecord(paths, {
        url: job.url.href,
        imageId: record.id,
        etag: result.etag,
        lastModified: result.lastModified,
        maxAgeSeconds: result.maxAgeSeconds,
        checkedAt: Date.now(),
        verified: verified !== undefined,
      });
      return { record, origin: 'download', verified };
    } finally {
      await discardPartial(paths);
    }
  }, { signal: context.http.signal });
}

/** The URL + `.asc` (on the path, before any query). */
export function signatureUrl(url: URL): URL {
  const asc = new URL(url.href);
  asc.pathname = `${asc.pathname}.asc`;
  return asc;
}

async function verifyAndImport(context: FetchContext, job: UrlJob, file: string): Promise<{ record: ImageRecord; verified: VerifiedSignature | undefined }> {
  const manifest = await peekManifest(file, job.url.href);
  if (job.request !== undefined) checkRequest(job.request, manifest.name, manifest.labels, job.url.href);
  let verified: VerifiedSignature | undefined;
  if (verifying(context)) {
    const signature = job.signature ?? { kind: 'url', url: signatureUrl(job.url) };
    const armoredSignature = await readSignature(signature, job.display, context.http);
    verified = await verifyImageFile(
      { configDir: context.configDir, imageName: manifest.name, file, image: job.display, armoredSignature, signature },
      context.http.signal,
      context.emit,
    );
  }
  const imported = await context.store.importAci(file, { sourceName: job.url.href, signal: context.http.signal, onProgress: importProgress(context, job.url.href) });
  return { record: imported.record, verified };
}
