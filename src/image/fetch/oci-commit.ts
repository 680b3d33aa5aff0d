/**
 * @module fetch/oci-commit — what every OCI transport (registry, OCI layout, archives) does once
 * it has a verified manifest and config: check the platform, download (or copy) only the layer
 * blobs the store lacks into a store work dir, and hand everything to the store's OCI import,
 * which unpacks each layer while it downloads (registry pulls hand the bytes over as they
 * arrive: one pass over each byte; downloads run 3 at once, in layer order). The first failed download aborts the
 * rest and is the error reported. The work dir is released (removed) only after every download
 * has settled, so a failed fetch leaves the store as it was: only the import's final commit
 * makes anything visible.
 */
import { failedPrecondition, invalidArgument } from '../../util/index.js';
import { appcManifestFor } from '../format/oci/image-app.js';
import type { OciOrigin } from '../format/oci/image-app.js';
import type { BlobTarget } from '../registry/client.js';
import type { Platform } from '../registry/descriptor.js';
import { formatPlatform } from '../registry/descriptor.js';
import type { ImageConfig } from '../registry/image-config.js';
import type { ImageManifest } from '../registry/manifest.js';
import { hostPlatform, platformMatches } from '../registry/platform.js';
import { LayerFeed } from '../store/layer-feed.js';
import type { OciImportLayer } from '../store/oci-import.js';
import type { FetchContext, FetchResult } from './context.js';
import type { OciTransport } from './signature-policy.js';

/** Layer media types whose blobs are tars rocklet unpacks (compression is sniffed). */
const LAYER_TYPES: readonly string[] = [
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
];

/** A verified image, ready to be stored. */
export interface OciCandidate {
  readonly transport: OciTransport;
  /** Canonical reference or archive location, recorded with the image. */
  readonly reference: string;
  readonly origin: OciOrigin;
  readonly resolved: {
    readonly digest: string;
    readonly manifest: ImageManifest;
    readonly manifestBytes: Buffer;
    readonly config: ImageConfig;
    readonly configBytes: Buffer;
  };
  readonly verification: string;
  /**
   * Puts the given blobs into their `dest` files, each verified against its digest (and
   * without fsync: the store's import syncs them before the commit).
   */
  readonly download: (targets: readonly BlobTarget[], signal: AbortSignal | undefined) => Promise<void>;
  /** The download hands each target's bytes to its `observer` as they arrive (a registry pull). */
  readonly streams?: boolean;
}

/**
 * Refuse an image whose config names another platform than `wanted` (default: this host's).
 * Errors: `ERR_IMAGE_PLATFORM`, naming both.
 */
export function checkImagePlatform(config: ImageConfig, wanted: Platform | undefined, where: string): void {
  const want = wanted ?? hostPlatform();
  const have: Platform = { os: config.os, architecture: config.architecture, ...(config.variant === undefined ? {} : { variant: config.variant }) };
  if (platformMatches(have, want)) return;
  throw failedPrecondition('ERR_IMAGE_PLATFORM', `${where} is built for ${formatPlatform(have)}, not for ${formatPlatform(want)}${wanted === undefined ? ' (this host)' : ''}`, {
    hint: 'use an image built for this platform (a multi-arch image picks its entry by itself)',
  });
}

function importLayers(candidate: OciCandidate): OciImportLayer[] {
  const { manifest, config, digest } = candidate.resolved;
  if (manifest.layers.length !== config.diffIds.length) {
    throw invalidArgument('ERR_OCI_LAYERS_MISMATCH', `${candidate.reference} (${digest}): the manifest has ${manifest.layers.length} layers but the config ${config.diffIds.length} diff_ids`, {
      hint: 'the image is malformed; rebuild or re-push it',
    });
  }
  return manifest.layers.map((layer, index) => {
    if (!LAYER_TYPES.includes(layer.mediaType)) {
      throw invalidArgument('ERR_OCI_LAYER_TYPE', `${candidate.reference}: layer ${layer.digest} has media type ${layer.mediaType}, which rocklet cannot unpack`);
    }
    if (!layer.digest.startsWith('sha256:')) throw invalidArgument('ERR_OCI_LAYER_TYPE', `${candidate.reference}: layer ${layer.digest} is not addressed by sha256`);
    return { digest: layer.digest, diffId: config.diffIds[index] ?? '', mediaType: layer.mediaType, sizeBytes: layer.size };
  });
}

/** Downloads running `concurrency` at a time, each with its own completion. */
interface Downloads {
  /** Settles when the blob going to `dest` is complete (rejects with its download's error). */
  ready(dest: string): Promise<void>;
  /** Aborted when any download fails (or the caller's signal aborts). */
  readonly signal: AbortSignal;
  /** Aborts what still runs, waits for every download to settle; returns the first failure. */
  stop(): Promise<unknown>;
}

function startDownloads(candidate: OciCandidate, targets: readonly BlobTarget[], feeds: ReadonlyMap<string, LayerFeed>, signal: AbortSignal | undefined, concurrency = 3): Downloads {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let failure: { error: unknown } | undefined;
  let stopping = false;
  let running = Promise.resolve();
  const slots: Promise<void>[] = [];
  const byDest = new Map<string, Promise<void>>();
  for (const [index, target] of targets.entries()) {
    // The n-th download starts when the (n - concurrency)-th has settled: in order, `concurrency` at once.
    const before = slots[index - concurrency] ?? running;
    const feed = feeds.get(target.dest);
    const done = before.then(() => {
      controller.signal.throwIfAborted();
      return candidate.download([feed === undefined ? target : { ...target, observer: feed }], controller.signal);
    }).then(() => feed?.complete(target.descriptor.size), (error: unknown) => {
      feed?.fail(error);
      // Downloads aborted because the import failed are not a cause of their own.
      if (!stopping) failure ??= { error };
      controller.abort(error);
      throw error;
    });
    const settled = done.then(() => undefined, () => undefined);
    slots.push(settled);
    byDest.set(target.dest, done);
  }
  running = Promise.all(slots).then(() => undefined);
  return {
    ready: (dest) => byDest.get(dest) ?? Promise.resolve(),
    signal: controller.signal,
    stop: async () => {
      stopping = true;
      if (!controller.signal.aborted) controller.abort(new Error('the pull ended'));
      await running;
      signal?.removeEventListener('abort', onAbort);
      return failure?.error;
    },
  };
}

/** Store `candidate` (see the module doc). Errors: the download's, the import's. */
export async function commitOciImage(context: FetchContext, candidate: OciCandidate): Promise<FetchResult> {
  const { store } = context;
  const { signal } = context.http;
  const layers = importLayers(candidate);
  const work = await store.workDir(signal);
  try {
    const withFiles: OciImportLayer[] = [];
    const targets: BlobTarget[] = [];
    for (const [index, layer] of layers.entries()) {
      if (await store.hasBlob(layer.digest)) {
        withFiles.push(layer);
        continue;
      }
      const dest = `${work.path}/download-${layer.digest.slice('sha256:'.length)}`;
      const descriptor = candidate.resolved.manifest.layers[index];
      if (descriptor === undefined) throw new Error('layer index out of range');
      if (!targets.some((existing) => existing.dest === dest)) targets.push({ descriptor, dest });
      withFiles.push({ ...layer, file: dest });
    }
    // A registry pull unpacks each layer from its bytes as they arrive (store/layer-feed.ts).
    const feeds = new Map(candidate.streams === true ? targets.map((target) => [target.dest, new LayerFeed()] as const) : []);
    const downloads = startDownloads(candidate, targets, feeds, signal);
    const layersReady = withFiles.map((layer) => {
      if (layer.file === undefined) return layer;
      const feed = feeds.get(layer.file);
      return { ...layer, ready: downloads.ready(layer.file), ...(feed === undefined ? {} : { feed }) };
    });
    const { resolved } = candidate;
    let result;
    try {
      result = await store.importOci(work, {
        oci: {
          transport: candidate.transport,
          references: [candidate.reference],
          manifestDigest: resolved.digest,
          manifestMediaType: resolved.manifest.mediaType,
          configDigest: resolved.manifest.config.digest,
          platform: formatPlatform({ os: resolved.config.os, architecture: resolved.config.architecture, ...(resolved.config.variant === undefined ? {} : { variant: resolved.config.variant }) }),
          verification: candidate.verification,
        },
        layers: layersReady,
        manifestBytes: resolved.manifestBytes,
        configBytes: resolved.configBytes,
        appcManifest: appcManifestFor(candidate.origin, { ...resolved.config.config, os: resolved.config.os, architecture: resolved.config.architecture, ...(resolved.config.variant === undefined ? {} : { variant: resolved.config.variant }) }),
        signal: downloads.signal,
      });
    } catch (error) {
      // A failed download is the cause; unpacking only noticed it (or was aborted by it).
      throw (await downloads.stop()) ?? error;
    }
    await downloads.stop();
    return { record: result.record, origin: result.alreadyPresent && targets.length === 0 ? 'store' : 'download', verified: undefined };
  } finally {
    await work.release();
  }
}
