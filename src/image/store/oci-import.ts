/**
 * @module store/oci-import — commit an OCI/Docker image into the store, and make its layer
 * trees. The caller (a fetcher) has verified the manifest and config against their digests and
 * downloads the missing layer blobs (each verified against its digest) into a work dir, handing
 * their bytes over as they arrive (layer-feed.ts).
 *
 * Layers are content-addressed twice: blobs by their digest (`blobs/sha256/`), trees by their
 * DiffID (`trees/layer-<hex>`), so a layer two images share is downloaded and unpacked once.
 * Each missing layer is unpacked into the work dir while it downloads, all layers at once, each
 * waiting for the layers below only for its directory metadata (layer-unpack.ts); its DiffID is
 * compared with the config's, and it counts only once its blob's download was verified. Then, under the exclusive store lock: blobs (fsynced) → `blobs/`,
 * trees → `trees/`, and last the record, the commit point. A crash or a failure (a full disk)
 * before the record leaves only invisible blobs and trees, which gc removes and the next pull
 * reuses; nothing is half-visible.
 */
import { access, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition, fsyncDir, invalidArgument, verificationFailed, withLock } from '../../util/index.js';
import type { ImageId } from '../format/aci/image-id.js';
import { ociImageId } from '../format/aci/image-id.js';
import { formatProblems, validateImageManifest } from '../format/aci/manifest.js';
import type { ImageRecord, OciImageRecord, OciLayerRecord } from './image-record.js';
import { readRecord, writeRecord } from './image-record.js';
import type { LayerFeed } from './layer-feed.js';
import { FeedDiscontinuity } from './layer-feed.js';
import type { UnpackedLayer } from './layer-unpack.js';
import { unpackLayer } from './layer-unpack.js';
import type { StoreLayout, TreeId } from './store-layout.js';
import type { WorkDir } from './store-workdir.js';
import { createWorkDir } from './store-workdir.js';
import { installTree, layerTreeId, markUnflushed, readUsableTree, writeTreeMeta } from './tree-store.js';

/**
 * One layer to import: its blob is `file` (downloaded now) or already in the store. A layer
 * still downloading has `ready`, which settles when `file` is complete: unpacking waits for it,
 * so earlier layers unpack while later ones download.
 */
export interface OciImportLayer extends OciLayerRecord {
  readonly file?: string;
  readonly ready?: Promise<void>;
  /** The blob's bytes while they download: the layer unpacks from them in the same pass. */
  readonly feed?: LayerFeed;
}

/** What a fetcher hands the store. */
export interface OciImportInput {
  readonly oci: Omit<OciImageRecord, 'layers'>;
  readonly layers: readonly OciImportLayer[];
  readonly manifestBytes: Buffer;
  readonly configBytes: Buffer;
  /** The appc view of the config (format/oci appcManifestFor). */
  readonly appcManifest: Record<string, unknown>;
  readonly signal?: AbortSignal | undefined;
}

/** The outcome of {@link importOci}. */
export interface OciImportResult {
  readonly record: ImageRecord;
  readonly alreadyPresent: boolean;
  /** Layers unpacked now (the others were in the store). */
  readonly unpackedLayers: number;
}

interface PendingTree {
  readonly id: TreeId;
  readonly path: string;
}

/** Where one layer's tree is unpacked, and what it waits for. */
interface LayerJob {
  readonly layer: OciImportLayer;
  readonly tree: PendingTree;
  /** The rootfs of the layers below, topmost first. */
  readonly lowers: readonly string[];
  /** Settles when every layer below is complete. */
  readonly lowersReady: Promise<unknown>;
}

async function freshDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
}

/**
 * Unpack one layer into its tree dir: from its feed while it downloads when it has one (the
 * finished file instead when the feed was not one gapless stream), else from its blob once
 * `ready`. Errors: those of unpackLayer, `ERR_LAYER_DIFFID_MISMATCH`.
 */
async function unpackLayerTree(layout: StoreLayout, job: LayerJob, signal: AbortSignal): Promise<void> {
  const { layer, tree } = job;
  const rootfs = path.join(tree.path, 'rootfs');
  const options = { sourceName: `layer ${layer.digest}`, lowerRootfs: job.lowers, lowersReady: job.lowersReady, signal };
  await freshDir(rootfs);
  let unpacked: UnpackedLayer | undefined;
  if (layer.feed !== undefined) {
    try {
      unpacked = await unpackLayer(layer.feed.chunks(signal), rootfs, options);
    } catch (error) {
      if (!(error instanceof FeedDiscontinuity)) {
        // The bytes were not verified yet: a corrupt download fails the unpack first, and its
        // digest mismatch, not the gzip or tar error it caused, is the cause to report.
        if (!signal.aborted) await layer.ready;
        throw error;
      }
      await freshDir(rootfs);
    }
  }
  if (unpacked === undefined) {
    await layer.ready;
    unpacked = await unpackLayer(layer.file ?? layout.ociBlob(layer.digest), rootfs, options);
  }
  if (unpacked.diffId !== layer.diffId) {
    throw verificationFailed('ERR_LAYER_DIFFID_MISMATCH', `layer ${layer.digest} unpacks to ${unpacked.diffId}, but the image config says ${layer.diffId}`, {
      hint: 'the image is corrupt or was tampered with; do not use it',
    });
  }
  // A layer tree's `layers` names the blob it is made from (for a re-unpack after a crash).
  await writeTreeMeta(tree.path, undefined, [layer.digest.replace('sha256:', 'sha256-') as ImageId]);
  await markUnflushed(tree.path);
}

/** Settles when both have; handled, as a job that failed early never awaits it. */
function both(first: Promise<unknown>, second: Promise<unknown>): Promise<unknown> {
  const joined = Promise.all([first, second]);
  joined.catch(() => undefined);
  return joined;
}

/**
 * Unpack every layer whose tree is missing or stale, all at once: each from its feed while it
 * downloads (or from its blob), only the last step of each waiting for the layers below
 * (layer-unpack.ts). The first failure aborts the others and is thrown once all have settled.
 * Returns the new trees. The shared store lock is held throughout, so a gc waits for the
 * downloads too (it could otherwise remove a blob a layer tree was found to need).
 */
async function unpackMissing(layout: StoreLayout, work: WorkDir, layers: readonly OciImportLayer[], signal?: AbortSignal): Promise<PendingTree[]> {
  return withLock(layout.lock, 'shared', async () => {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    const pending = new Map<TreeId, { tree: PendingTree; done: Promise<void>; feed: LayerFeed | undefined }>();
    const lowers: string[] = [];
    let below: Promise<unknown> = Promise.resolve();
    let failure: { error: unknown } | undefined;
    try {
      for (const layer of layers) {
        const id = layerTreeId(layer.diffId);
        const made = pending.get(id);
        const existing = made === undefined ? await readUsableTree(layout, id) : undefined;
        // A feed nobody reads must not hold its download up (one digest, one feed: keep the job's).
        if (existing !== undefined || (made !== undefined && made.feed !== layer.feed)) layer.feed?.detach();
        if (existing !== undefined) {
          lowers.unshift(existing.rootfs);
          continue;
        }
        if (made !== undefined) {
          lowers.unshift(path.join(made.tree.path, 'rootfs'));
          below = both(below, made.done);
          continue;
        }
        const tree = { id, path: path.join(work.path, id) };
        const job: LayerJob = { layer, tree, lowers: [...lowers], lowersReady: below };
        const done = unpackLayerTree(layout, job, controller.signal).catch((error: unknown) => {
          failure ??= { error };
          controller.abort(error);
          throw error;
        });
        // Only the first failure is reported (after all settled); the others are its echoes.
        done.catch(() => undefined);
        pending.set(id, { tree, done, feed: layer.feed });
        lowers.unshift(path.join(tree.path, 'rootfs'));
        below = both(below, done);
      }
      await Promise.allSettled([...pending.values()].map((entry) => entry.done));
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (failure !== undefined) throw failure.error;
    return [...pending.values()].map((entry) => entry.tree);
  }, { signal });
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Blobs to move into `blobs/sha256/`: [digest, file in the work dir]. */
async function stageBlobs(work: WorkDir, input: OciImportInput): Promise<[string, string][]> {
  const staged: [string, string][] = [];
  for (const [digest, bytes] of [[input.oci.manifestDigest, input.manifestBytes], [input.oci.configDigest, input.configBytes]] as const) {
    const file = path.join(work.path, `blob-${digest.slice('sha256:'.length)}`);
    await writeFile(file, bytes, { mode: 0o444 });
    staged.push([digest, file]);
  }
  for (const layer of input.layers) if (layer.file !== undefined) staged.push([layer.digest, layer.file]);
  // The blobs are the image: durable before anything points at them.
  for (const [, file] of staged) await syncFile(file);
  return staged;
}

function appcView(input: OciImportInput): ImageRecord['manifest'] {
  const validation = validateImageManifest(input.appcManifest);
  if (!validation.ok) {
    throw invalidArgument('ERR_OCI_CONFIG_UNSUPPORTED', `the config of ${input.oci.references[0] ?? input.oci.manifestDigest} cannot be run: ${formatProblems(validation.problems)}`);
  }
  return validation.manifest;
}

/** Import an OCI image whose blobs are verified (see the module doc). Errors: unpacking's, `ERR_STORE_CHANGED`. */
export async function importOci(layout: StoreLayout, work: WorkDir, input: OciImportInput): Promise<OciImportResult> {
  const manifest = appcView(input);
  const pending = await unpackMissing(layout, work, input.layers, input.signal);
  // A layer whose tree was already there was not waited for: its blob must be complete too.
  for (const layer of input.layers) await layer.ready;
  const staged = await stageBlobs(work, input);
  const id = ociImageId(input.oci.manifestDigest);
  const layers: OciLayerRecord[] = input.layers.map(({ digest, diffId, mediaType, sizeBytes }) => ({ digest, diffId, mediaType, sizeBytes }));
  const now = new Date();
  return withLock(layout.lock, 'exclusive', async () => {
    for (const [digest, file] of staged) {
      if ((await readUsableBlob(layout, digest)) === undefined) await rename(file, layout.ociBlob(digest));
    }
    await fsyncDir(layout.ociBlobs);
    for (const layer of input.layers) {
      if ((await readUsableBlob(layout, layer.digest)) === undefined) {
        throw failedPrecondition('ERR_STORE_CHANGED', `layer ${layer.digest} left the store during the pull (an image gc ran)`, { hint: 'pull again' });
      }
    }
    for (const tree of pending) await installTree(layout, tree.path, tree.id);
    const existing = await readRecord(layout, id);
    if (existing?.oci !== undefined) {
      const references = [...new Set([...existing.oci.references, ...input.oci.references])];
      const record: ImageRecord = { ...existing, oci: { ...existing.oci, references }, lastUsed: now };
      if (references.length !== existing.oci.references.length) await writeRecord(layout, record);
      return { record, alreadyPresent: true, unpackedLayers: pending.length };
    }
    const record: ImageRecord = {
      id,
      name: manifest.name,
      labels: manifest.labels,
      sizeBytes: layers.reduce((sum, layer) => sum + layer.sizeBytes, input.manifestBytes.length + input.configBytes.length),
      treeSizeBytes: 0,
      importTime: now,
      lastUsed: now,
      manifest,
      oci: { ...input.oci, layers },
    };
    await writeRecord(layout, record);
    return { record, alreadyPresent: false, unpackedLayers: pending.length };
  }, { signal: input.signal });
}

/** The blob's path when the store has it. */
export async function readUsableBlob(layout: StoreLayout, digest: string): Promise<string | undefined> {
  const file = layout.ociBlob(digest);
  try {
    await access(file);
    return file;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The layer trees of an OCI image, topmost first (overlayfs' lowerdir order), unpacked again
 * from the blobs where gc removed them or a restart made them stale. Errors: `ERR_IMAGE_CORRUPT`
 * when a blob is gone, and those of unpacking.
 */
export async function ensureOciTrees(layout: StoreLayout, record: ImageRecord, signal?: AbortSignal): Promise<TreeId[]> {
  const oci = record.oci;
  if (oci === undefined) throw new Error(`${record.id} is not an OCI image`);
  const ids = oci.layers.map((layer) => layerTreeId(layer.diffId));
  const missing = [];
  for (const layer of oci.layers) if ((await readUsableTree(layout, layerTreeId(layer.diffId))) === undefined) missing.push(layer);
  if (missing.length > 0) {
    for (const layer of missing) {
      if ((await readUsableBlob(layout, layer.digest)) === undefined) {
        throw verificationFailed('ERR_IMAGE_CORRUPT', `layer ${layer.digest} of ${record.id} is missing from the store`, { hint: 'remove the image and fetch it again' });
      }
    }
    const work = await createWorkDir(layout, signal);
    try {
      const pending = await unpackMissing(layout, work, oci.layers, signal);
      await withLock(layout.lock, 'exclusive', async () => {
        for (const tree of pending) await installTree(layout, tree.path, tree.id);
      }, { signal });
    } finally {
      await work.release();
    }
  }
  return ids.reverse();
}
