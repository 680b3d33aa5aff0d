/**
 * @module store — the content-addressed image store under `<dir>/images/` (layout in
 * store-layout.ts). Safe with several processes at once: writers commit under an exclusive
 * file lock, readers of blobs and trees hold it shared, every index write is atomic, and a
 * half-imported image is never visible. Crash at any point leaves the store consistent;
 * {@link ImageStore.gc} removes the leftovers.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { failedPrecondition, fsyncDir, notFound, verificationFailed, withLock, writeFileAtomic } from '../../util/index.js';
import { checkDestination, extractAci } from '../format/aci/aci-extract.js';
import type { ImageId } from '../format/aci/image-id.js';
import type { ImageRecord } from './image-record.js';
import { listRecords, readRecord, writeRecord } from './image-record.js';
import type { Label } from '../format/aci/manifest-labels.js';
import type { GcOptions, GcResult } from './store-gc.js';
import { collectGarbage, removeImageFiles } from './store-gc.js';
import type { ImportOptions, ImportResult } from './store-import.js';
import { importImage } from './store-import.js';
import type { TreeId } from './store-layout.js';
import { StoreLayout } from './store-layout.js';
import type { TreeVerification } from './store-render.js';
import { renderImage, usableTree, verifyRendered } from './store-render.js';
import { findByName, resolveReference } from './store-resolve.js';
import { copyTreeOver } from '../tree/tree-copy.js';
import { isOciImageId } from '../format/aci/image-id.js';
import type { OciImportInput, OciImportResult } from './oci-import.js';
import { ensureOciTrees, importOci, readUsableBlob } from './oci-import.js';
import { ensureMergedTree, needsMerge } from './oci-merge.js';
import { renderOciRootfs } from './oci-render.js';
import { verifyLayerTrees } from './oci-tree-verify.js';
import { exportOciLayout, verifyOci } from './oci-verify-export.js';
import type { WorkDir } from './store-workdir.js';
import { createWorkDir } from './store-workdir.js';
import type { StoredTree } from './tree-store.js';
import { listTrees, readTree } from './tree-store.js';

// Touches closer together than this rewrite nothing (see ImageStore.touch).
const TOUCH_RESOLUTION_MS = 1_000;

export const IMAGE_SORT_FIELDS = ['id', 'name', 'importTime', 'lastUsed', 'size'] as const;
export type ImageSortField = (typeof IMAGE_SORT_FIELDS)[number];
export type SortOrder = 'asc' | 'desc';

/** Options of {@link ImageStore.list}. */
export interface ListImagesOptions {
  /** Default `importTime` (rkt's default). */
  readonly sortBy?: ImageSortField;
  readonly order?: SortOrder;
}

/** Options of export, extract and render to a directory. */
export interface OutputOptions {
  readonly overwrite?: boolean;
  readonly rootfsOnly?: boolean;
  readonly signal?: AbortSignal | undefined;
}

function sortKey(record: ImageRecord, field: ImageSortField): string | number {
  switch (field) {
    case 'id':
      return record.id;
    case 'name':
      return record.name;
    case 'importTime':
      return record.importTime.getTime();
    case 'lastUsed':
      return record.lastUsed.getTime();
    case 'size':
      return record.sizeBytes;
  }
}

/** The image store. Create with {@link ImageStore.open}. */
export class ImageStore {
  readonly layout: StoreLayout;

  private constructor(layout: StoreLayout) {
    this.layout = layout;
  }

  /** Open (creating when needed) the store under `dir` (the `--dir` data root). */
  static async open(dir: string): Promise<ImageStore> {
    const layout = new StoreLayout(dir);
    await layout.create();
    return new ImageStore(layout);
  }

  /** Import an ACI (path or byte stream); see store-import.ts. */
  importAci(source: string | AsyncIterable<Uint8Array>, options: ImportOptions = {}): Promise<ImportResult> {
    return importImage(this.layout, source, options);
  }

  /**
   * A private work dir in the store (for downloads that an import then moves in); gc leaves it
   * alone while it is held. Release it when done.
   */
  workDir(signal?: AbortSignal): Promise<WorkDir> {
    return createWorkDir(this.layout, signal);
  }

  /** Commit an OCI/Docker image whose blobs were verified (see oci-import.ts). */
  importOci(work: WorkDir, input: OciImportInput): Promise<OciImportResult> {
    return importOci(this.layout, work, input);
  }

  /** True when the OCI blob `sha256:<hex>` is in the store. */
  async hasBlob(digest: string): Promise<boolean> {
    return (await readUsableBlob(this.layout, digest)) !== undefined;
  }

  /** The stored image fetched as the canonical Docker reference `reference`, if any. */
  async findByReference(reference: string): Promise<ImageRecord | undefined> {
    const records = await listRecords(this.layout);
    return records.filter((record) => record.oci?.references.includes(reference) === true).sort((a, b) => b.importTime.getTime() - a.importTime.getTime())[0];
  }

  /**
   * The trees a pod stacks for image `id` as overlay lower dirs, topmost first: an ACI's
   * rendered tree, or an OCI image's layer trees (made again where missing or stale), or their
   * merge when there are more than one overlay mount can stack.
   */
  async imageTrees(id: ImageId, signal?: AbortSignal): Promise<TreeId[]> {
    const record = await this.#require(id);
    if (record.oci === undefined) return [(await this.render(id, signal)).id];
    const layers = await ensureOciTrees(this.layout, record, signal);
    // Beyond what one overlay mount stacks: the layers merged into one tree (oci-merge.ts).
    const trees = needsMerge(this.layout, layers) ? [await ensureMergedTree(this.layout, record, signal)] : layers;
    await this.touch(id);
    return trees;
  }

  /** Every image, sorted (default: by import time, ascending). */
  async list(options: ListImagesOptions = {}): Promise<ImageRecord[]> {
    const field = options.sortBy ?? 'importTime';
    const sign = options.order === 'desc' ? -1 : 1;
    const records = await listRecords(this.layout);
    return records.sort((a, b) => {
      const [x, y] = [sortKey(a, field), sortKey(b, field)];
      return sign * (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
  }

  /** The image with exactly this ID, if stored. */
  get(id: ImageId): Promise<ImageRecord | undefined> {
    return readRecord(this.layout, id);
  }

  /**
   * Resolve an ID prefix (`sha512-` + ≥ 2 hex digits) or `name[:version][,label=value…]`.
   * Errors: `ERR_IMAGE_ID_TOO_SHORT`, `ERR_IMAGE_ID_AMBIGUOUS`, `ERR_IMAGE_NOT_FOUND`,
   * `ERR_INVALID_IMAGE_ID`, `ERR_INVALID_IMAGE_NAME`.
   */
  async resolve(reference: string): Promise<ImageRecord> {
    return resolveReference(await listRecords(this.layout), reference);
  }

  /** The newest image named `name` with all `labels`, if any. */
  async findByName(name: string, labels: readonly Label[] = []): Promise<ImageRecord | undefined> {
    return findByName(await listRecords(this.layout), name, labels);
  }

  async #require(id: ImageId): Promise<ImageRecord> {
    const record = await readRecord(this.layout, id);
    if (record === undefined) throw notFound('ERR_IMAGE_NOT_FOUND', `no image IDs found matching "${id}"`);
    return record;
  }

  /** ACI-only operations refuse OCI images with `ERR_IMAGE_NOT_ACI`. */
  #requireAci(id: ImageId, what: string): void {
    if (isOciImageId(id)) {
      throw failedPrecondition('ERR_IMAGE_NOT_ACI', `${id} is an OCI/Docker image; ${what} works on appc images only`, {
        hint: 'export it as an OCI layout with "rocklet image export ID DIR"',
      });
    }
  }

  /**
   * Mark an image as used now (drives gc's grace period). A mark less than a second old is left
   * as is: one `run` uses its image several times (fetch, render, re-render), and each rewrite
   * of the record would cost time for a difference gc cannot tell. The rewrite is not fsynced:
   * a crash can at worst lose the mark, making the image look older to `image gc`, which keeps
   * images that pods use anyway.
   */
  async touch(id: ImageId): Promise<void> {
    await withLock(this.layout.lock, 'exclusive', async () => {
      const record = await readRecord(this.layout, id);
      const now = new Date();
      if (record === undefined) return;
      const age = now.getTime() - record.lastUsed.getTime();
      if (age >= 0 && age < TOUCH_RESOLUTION_MS) return;
      await writeRecord(this.layout, { ...record, lastUsed: now }, { durable: false });
    });
  }

  /**
   * Remove an image (record, then blob). Its trees stay for the pods using them until gc.
   * Throws `ERR_IMAGE_NOT_FOUND` when it is not stored.
   */
  async remove(id: ImageId): Promise<ImageRecord> {
    return withLock(this.layout.lock, 'exclusive', async () => {
      const record = await this.#require(id);
      await removeImageFiles(this.layout, id);
      return record;
    });
  }

  /** Write the stored ACI to `out`: byte-identical to an uncompressed import. */
  async exportAci(id: ImageId, out: string, options: OutputOptions = {}): Promise<void> {
    this.#requireAci(id, 'export to an ACI');
    await this.#require(id);
    await checkDestination(out, options.overwrite === true);
    const temp = path.join(path.dirname(out), `.${path.basename(out)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await withLock(this.layout.lock, 'shared', () => copyFile(this.layout.blob(id), temp, fsConstants.COPYFILE_FICLONE));
      const handle = await open(temp, 'r+');
      try {
        await handle.chmod(0o644);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, out);
      await fsyncDir(path.dirname(out));
    } finally {
      await rm(temp, { force: true });
    }
    await this.touch(id);
  }

  /** Write an OCI/Docker image as an OCI image layout directory at `out`. */
  async exportOci(id: ImageId, out: string, options: OutputOptions = {}): Promise<void> {
    const record = await this.#require(id);
    await exportOciLayout(this.layout, record, out, { overwrite: options.overwrite === true, signal: options.signal });
    await this.touch(id);
  }

  /**
   * Unpack the stored ACI (no dependencies) to `dest` (manifest + rootfs/, or rootfs only); an
   * OCI image's layers merged (oci-render.ts), as `renderTo` writes them.
   */
  async extract(id: ImageId, dest: string, options: OutputOptions = {}): Promise<void> {
    if (isOciImageId(id)) {
      await this.renderTo(id, dest, options);
      return;
    }
    await this.#require(id);
    const extracted = await withLock(this.layout.lock, 'shared', () =>
      extractAci(this.layout.blob(id), dest, { ...options, sourceName: id }), { signal: options.signal });
    if (extracted.id !== id) {
      await rm(dest, { recursive: true, force: true });
      throw verificationFailed('ERR_IMAGE_CORRUPT', `the stored blob of ${id} no longer matches its ID`, { hint: 'remove the image and fetch it again' });
    }
    await this.touch(id);
  }

  /** The rendered tree of an image (dependencies merged, pathWhitelist applied), cached. */
  async render(id: ImageId, signal?: AbortSignal): Promise<StoredTree> {
    this.#requireAci(id, 'render');
    const record = await this.#require(id);
    const tree = await renderImage(this.layout, await listRecords(this.layout), record, signal);
    await this.touch(id);
    return tree;
  }

  /**
   * The tree `id` a pod's plan names, ready to mount (undefined when it is not in the store):
   * made again from the blobs when it was written unflushed before the machine restarted
   * (see tree-store.ts).
   */
  usableTree(id: TreeId, signal?: AbortSignal): Promise<StoredTree | undefined> {
    return usableTree(this.layout, id, signal);
  }

  /**
   * Render an image and copy the result to `dest` (manifest + rootfs/, or rootfs only). An OCI
   * image's layers are merged into `dest` (oci-render.ts); the tree returned is its top layer's.
   */
  async renderTo(id: ImageId, dest: string, options: OutputOptions = {}): Promise<StoredTree | undefined> {
    await checkDestination(dest, options.overwrite === true);
    const record = await this.#require(id);
    const tree = record.oci === undefined ? await this.render(id, options.signal) : undefined;
    const work = `${dest.replace(/\/+$/, '')}.tmp-${randomBytes(6).toString('hex')}`;
    await mkdir(work, { mode: 0o755 });
    let top: StoredTree | undefined = tree;
    try {
      const rootfs = options.rootfsOnly === true ? work : path.join(work, 'rootfs');
      await mkdir(rootfs, { recursive: true });
      if (tree !== undefined) await withLock(this.layout.lock, 'shared', () => copyTreeOver(tree.rootfs, rootfs));
      else {
        await renderOciRootfs(this.layout, record, rootfs, options.signal);
        const [topId] = await ensureOciTrees(this.layout, record, options.signal);
        top = topId === undefined ? undefined : await readTree(this.layout, topId);
        await this.touch(id);
      }
      if (options.rootfsOnly !== true) {
        await writeFileAtomic(path.join(work, 'manifest'), `${JSON.stringify(record.manifest.raw, null, 2)}\n`);
      }
      if (options.overwrite === true) await rm(dest, { recursive: true, force: true });
      await rename(work, dest);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return top;
  }

  /**
   * Check an image's rendered tree; a modified tree is rendered again. An OCI image's blobs are
   * re-hashed, its missing layer trees made again (oci-verify-export.ts), and its layer trees
   * hashed, a modified one unpacked again (oci-tree-verify.ts).
   */
  async verify(id: ImageId, signal?: AbortSignal): Promise<TreeVerification> {
    const record = await this.#require(id);
    if (record.oci !== undefined) {
      await verifyOci(this.layout, record, signal);
      const layers = await verifyLayerTrees(this.layout, record, signal);
      const [top] = await ensureOciTrees(this.layout, record, signal);
      const tree = top === undefined ? undefined : await readTree(this.layout, top);
      if (tree === undefined) return { status: 'not-rendered' };
      return layers.status === 'ok' ? { status: 'ok', tree } : { status: 'rebuilt', tree, expected: `${layers.expected} (layer ${layers.layer})`, actual: layers.actual };
    }
    return verifyRendered(this.layout, await listRecords(this.layout), record, signal);
  }

  /**
   * Every complete tree in the tree store: images' own trees and rendered (`deps-…`) ones, with
   * the layers each holds. A tree removed meanwhile is left out.
   */
  async trees(): Promise<StoredTree[]> {
    const trees: StoredTree[] = [];
    for (const id of await listTrees(this.layout)) {
      const tree = await readTree(this.layout, id);
      if (tree !== undefined) trees.push(tree);
    }
    return trees;
  }

  /** Collect garbage; see store-gc.ts. */
  gc(options: GcOptions): Promise<GcResult> {
    return collectGarbage(this.layout, options);
  }
}
