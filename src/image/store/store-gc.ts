/**
 * @module store-gc — garbage collection of the image store (rkt.md §3.5): images unused for
 * longer than a grace period, trees no pod references, OCI blobs and layer trees no remaining
 * image names (a layer shared by two images stays while either does), and crash leftovers
 * (unlocked work dirs, blobs without a record, temp files of atomic writes). Runs under the exclusive store lock.
 * Last, it flushes the trees written unflushed in this boot (tree-store.ts), so a restart after
 * a gc does not make them again.
 */
import { readdir, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, isAtomicTempName, withLock } from '../../util/index.js';
import type { ImageId } from '../format/aci/image-id.js';
import { isImageId } from '../format/aci/image-id.js';
import type { ImageRecord } from './image-record.js';
import { deleteRecord, listRecords } from './image-record.js';
import type { StoreLayout, TreeId } from './store-layout.js';
import { removeStaleWorkDirs } from './store-workdir.js';
import { flushTrees, layerTreeId, listTrees, removeTree } from './tree-store.js';

/** Options of {@link collectGarbage}. */
export interface GcOptions {
  /** Images whose last use is older than this are removed; 0 removes every unprotected image. */
  readonly gracePeriodMs: number;
  /** Trees pods still use (prepared, running or exited pods); they are kept. */
  readonly referencedTrees: ReadonlySet<TreeId>;
  /** Remove no tree at all (when pod references cannot be known now, e.g. a pod is being prepared). */
  readonly keepAllTrees?: boolean;
  /** Images that must stay whatever their age (e.g. used by running pods). */
  readonly keepImages?: ReadonlySet<ImageId>;
  /** The current time (tests pass a fixed one). */
  readonly now?: Date;
  readonly signal?: AbortSignal | undefined;
}

/** What {@link collectGarbage} removed. */
export interface GcResult {
  readonly removedImages: readonly ImageRecord[];
  readonly removedTrees: readonly TreeId[];
  /** Crash leftovers: work dirs, orphan blobs, temp files. */
  readonly removedLeftovers: readonly string[];
  /** Trees written unflushed in this boot that are now flushed to disk. */
  readonly flushedTrees: number;
}

/** Remove an image's record (the image becomes invisible) and then its blob. Lock held by caller. */
export async function removeImageFiles(layout: StoreLayout, id: ImageId): Promise<void> {
  await deleteRecord(layout, id);
  await rm(layout.blob(id), { force: true });
}

/** Collect garbage; see the module comment. */
export async function collectGarbage(layout: StoreLayout, options: GcOptions): Promise<GcResult> {
  const now = options.now ?? new Date();
  return withLock(layout.lock, 'exclusive', async () => {
    const removedLeftovers = (await removeStaleWorkDirs(layout)).map((name) => `tmp/${name}`);
    const removedImages: ImageRecord[] = [];
    const records = await listRecords(layout);
    for (const record of records) {
      if (options.keepImages?.has(record.id) === true) continue;
      if (now.getTime() - record.lastUsed.getTime() <= options.gracePeriodMs && options.gracePeriodMs > 0) continue;
      await removeImageFiles(layout, record.id);
      removedImages.push(record);
    }
    const live = new Set<string>(records.filter((record) => !removedImages.includes(record)).map((record) => record.id));
    for (const name of await readdir(layout.blobs)) {
      if (live.has(`sha512-${name}`)) continue;
      await rm(path.join(layout.blobs, name), { force: true });
      removedLeftovers.push(`blobs/sha512/${name}`);
    }
    // OCI content: blobs and layer trees live while some remaining image names them.
    const liveRecords = records.filter((record) => !removedImages.includes(record));
    const liveBlobs = new Set<string>();
    const liveLayerTrees = new Set<string>();
    for (const { oci } of liveRecords) {
      if (oci === undefined) continue;
      for (const digest of [oci.manifestDigest, oci.configDigest, ...oci.layers.map((layer) => layer.digest)]) liveBlobs.add(digest.slice('sha256:'.length));
      for (const layer of oci.layers) liveLayerTrees.add(layerTreeId(layer.diffId));
    }
    for (const name of await readdir(layout.ociBlobs)) {
      if (liveBlobs.has(name)) continue;
      await rm(path.join(layout.ociBlobs, name), { force: true });
      removedLeftovers.push(`blobs/sha256/${name}`);
    }
    for (const name of await readdir(layout.index)) {
      if (!isAtomicTempName(name)) continue;
      await unlinkIfPresent(path.join(layout.index, name));
      removedLeftovers.push(`index/${name}`);
    }
    const removedTrees: TreeId[] = [];
    for (const id of options.keepAllTrees === true ? [] : await listTrees(layout)) {
      if (options.referencedTrees.has(id)) continue;
      // An image's own tree lives as long as the image: it is the unpacked import.
      if (isImageId(id) && live.has(id)) continue;
      // A layer tree lives as long as an image that has the layer.
      if (liveLayerTrees.has(id)) continue;
      await removeTree(layout, id);
      removedTrees.push(id);
    }
    return { removedImages, removedTrees, removedLeftovers, flushedTrees: await flushTrees(layout) };
  }, { signal: options.signal });
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}
