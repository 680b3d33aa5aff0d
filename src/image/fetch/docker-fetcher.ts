/**
 * @module fetch/docker-fetcher — the `docker://` transport: a Docker reference → the registry
 * (registry/, with config.yaml's `registries` mirrors and `insecure`, credentials from
 * `<config-dir>/auth.json`) → a verified manifest and config for this host's platform (or
 * `--platform`) → the signature policy → the layer blobs the store lacks (downloaded into a
 * store work dir, 3 at once, each verified) → the store's OCI import (store/oci-import.ts).
 * Under the pull policy, `new` and `never` use a stored image fetched as the same reference
 * (or with the reference's digest) without asking the registry. Nothing is stored before the
 * policy accepted the image; a failure at any step leaves the store as it was.
 */
import { errnoCode, runtimeFailure } from '../../util/index.js';
import type { DockerReference } from '../format/oci/docker-reference.js';
import { ociImageId } from '../format/aci/image-id.js';
import { loadCredentials } from '../registry/auth-file.js';
import type { RegistryEvent } from '../registry/events.js';
import { RegistryClient, pullTarget } from '../registry/client.js';
import type { ImageRecord } from '../store/image-record.js';
import type { FetchContext, FetchResult } from './context.js';
import { notInStore } from './context.js';
import { checkImagePlatform, commitOciImage } from './oci-commit.js';

/** Registry events as fetch events (progress bars show blobs by digest). */
function relay(context: FetchContext, repository: string): (event: RegistryEvent) => void {
  return (event) => {
    const url = 'digest' in event ? `${repository}@${event.digest}` : repository;
    switch (event.kind) {
      case 'blob-start':
        context.emit({ kind: 'download-start', url, totalBytes: event.totalBytes, resumeFrom: event.resumeFrom });
        return;
      case 'blob-progress':
        context.emit({ kind: 'download-progress', url, bytes: event.bytes, totalBytes: event.totalBytes });
        return;
      case 'blob-done':
        context.emit({ kind: 'download-done', url, bytes: event.bytes });
        return;
      case 'blob-restart':
        context.emit({ kind: 'download-restart', url, reason: event.reason });
        return;
      case 'manifest':
      case 'mirror-failed':
        return;
    }
  };
}

/** The stored image for `reference` when the pull policy lets the store answer. */
async function storedImage(context: FetchContext, reference: DockerReference): Promise<ImageRecord | undefined> {
  if (reference.digest?.startsWith('sha256:') === true) {
    const byDigest = await context.store.get(ociImageId(reference.digest));
    if (byDigest !== undefined) return byDigest;
  }
  return context.store.findByReference(reference.canonical);
}

/**
 * Fetch `reference` from its registry. Errors: the registry client's (`ERR_REGISTRY_*`), the
 * signature policy's, `ERR_IMAGE_PLATFORM`, `ERR_IMAGE_NOT_IN_STORE` (policy never), the
 * store's import errors, `ERR_STORE_NO_SPACE`.
 */
export async function fetchDocker(context: FetchContext, reference: DockerReference): Promise<FetchResult> {
  if (context.pullPolicy !== 'update') {
    const stored = await storedImage(context, reference);
    if (stored !== undefined) {
      context.emit({ kind: 'store-hit', reference: `docker://${reference.canonical}`, imageId: stored.id });
      return { record: stored, origin: 'store', verified: undefined };
    }
    if (context.pullPolicy === 'never') throw notInStore(`docker://${reference.canonical}`);
  }
  const { signal } = context.http;
  await context.signaturePolicy.precheck?.({ transport: 'docker', reference: reference.canonical });
  const target = pullTarget(reference);
  const registry = context.http.settings.registries?.get(target.registry);
  const client = new RegistryClient({
    registry: target.registry,
    settings: context.http.settings,
    insecure: (registry?.insecure ?? false) || context.http.insecure.has('http'),
    mirrors: registry?.mirrors ?? [],
    credentials: await loadCredentials(context.configDir),
    onEvent: relay(context, `${target.registry}/${target.repository}`),
  });
  const resolved = await client.resolveImage(target.repository, target.reference, { ...(context.platform === undefined ? {} : { platform: context.platform }), ...(signal === undefined ? {} : { signal }) });
  const where = `docker://${reference.canonical}`;
  checkImagePlatform(resolved.config, context.platform, where);
  const accepted = await context.signaturePolicy.check({
    transport: 'docker', reference: reference.canonical, manifestDigest: resolved.digest, manifestBytes: resolved.manifestBytes,
    indexDigests: resolved.indexDigests, client, signal,
  });
  try {
    return await commitOciImage(context, {
      transport: 'docker',
      reference: reference.canonical,
      origin: { domain: reference.domain, path: reference.path, ...(reference.tag === undefined ? {} : { tag: reference.tag }), manifestDigest: resolved.digest },
      resolved,
      verification: accepted.verification,
      download: (targets, downloadSignal) => client.fetchBlobs(target.repository, targets, { durable: false, ...(downloadSignal === undefined ? {} : { signal: downloadSignal }) }),
      streams: true,
    });
  } catch (error) {
    throw noSpace(error, where, context.store.layout.root);
  }
}

/** `ENOSPC` during a pull → `ERR_STORE_NO_SPACE` (nothing was committed); others unchanged. */
export function noSpace(error: unknown, where: string, storeRoot: string): unknown {
  if (errnoCode(error) !== 'ENOSPC' && errnoCode(error) !== 'EDQUOT') return error;
  return runtimeFailure('ERR_STORE_NO_SPACE', `${where}: no space left on the device of the image store (${storeRoot}); nothing was stored`, {
    hint: 'free some space (e.g. rocklet image gc) and fetch again', cause: error,
  });
}
