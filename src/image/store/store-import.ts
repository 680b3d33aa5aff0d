/**
 * @module store-import — bring an ACI into the store in one pass and commit it atomically.
 *
 * The archive streams once: the uncompressed tar goes to `tmp/<work>/blob` while it is hashed,
 * its layout and manifest are checked, and its rootfs is unpacked into `tmp/<work>/tree`
 * (aci-unpack.ts; its tree hash is left to the first verify). The blob is written from the
 * buffers that are hashed, with O_DIRECT where the filesystem allows (tar-copy.ts): straight to
 * the disk, no second copy in the page cache.
 * The blob is the image: it is made durable (fdatasync) before anything points at it. The tree
 * is a cache of it and is not flushed (tree-store.ts: it is marked with this boot's ID and
 * unpacked again if the machine restarts before `image gc` flushes it). Only then, under the
 * exclusive store lock: blob → `blobs/`, tree → `trees/<id>`, and last the record (the commit
 * point). A crash before the record leaves only an invisible blob or tree (gc removes them); a
 * failed import leaves nothing. Two imports of the same image both do the work, the second
 * finds the record and discards its copy: one entry.
 */
import { closeSync, fdatasync, constants as fsConstants, openSync } from 'node:fs';
import { chmod, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { errnoCode, fsyncDir, withLock } from '../../util/index.js';
import type { UnpackedAci } from '../format/aci/aci-unpack.js';
import { unpackAci } from '../format/aci/aci-unpack.js';
import type { Compression } from '../archive/decompress.js';
import type { ImageRecord } from './image-record.js';
import { readRecord, writeRecord } from './image-record.js';
import type { StoreLayout } from './store-layout.js';
import { createWorkDir } from './store-workdir.js';
import { installTree, markUnflushed, writeTreeMeta } from './tree-store.js';

const fdatasyncAsync = promisify(fdatasync);

/** Flush the blob in the background after this many more bytes of it were read. */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Makes the blob durable as it is written: an fdatasync in the background every so many bytes
 * (at most one at a time), so the last one, which the commit waits for, has only the tail.
 */
class BlobFlusher {
  readonly #fd: number;
  #pendingBytes = 0;
  #running: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(fd: number) {
    this.#fd = fd;
  }

  wrote(bytes: number): void {
    this.#pendingBytes += bytes;
    if (this.#pendingBytes < FLUSH_EVERY_BYTES || this.#running !== undefined) return;
    this.#pendingBytes = 0;
    const running = fdatasyncAsync(this.#fd).catch((error: unknown) => {
      this.#failure ??= { error };
    });
    this.#running = running;
    void running.then(() => {
      if (this.#running === running) this.#running = undefined;
    });
  }

  /** Everything written is durable; throws the first failed flush. */
  async finish(): Promise<void> {
    await this.#running;
    if (this.#failure !== undefined) throw this.#failure.error;
    await fdatasyncAsync(this.#fd);
  }

  /** Wait for a running flush (before the file is closed under it); failures were recorded. */
  async settle(): Promise<void> {
    await this.#running;
  }
}

/** Options of an import. */
export interface ImportOptions {
  /** Names the source in messages (default: the path, or `image`). */
  readonly sourceName?: string;
  readonly signal?: AbortSignal | undefined;
  /** Called with the bytes of the image's tar unpacked so far, after each chunk (progress on a terminal). */
  readonly onProgress?: ((tarBytes: number) => void) | undefined;
}

/** The outcome of an import. */
export interface ImportResult {
  readonly record: ImageRecord;
  /** True when the image was already in the store (nothing changed). */
  readonly alreadyPresent: boolean;
  readonly compression: Compression;
  /** Extended attributes that could not be kept (see ExtractionReport.skippedXattrs). */
  readonly skippedXattrs: readonly string[];
}

/** `file` opened again with O_DIRECT, or undefined where the filesystem has no direct I/O (tmpfs before Linux 6.6). */
function openDirect(file: string): number | undefined {
  try {
    return openSync(file, fsConstants.O_WRONLY | fsConstants.O_DIRECT);
  } catch (error) {
    if (errnoCode(error) === 'EINVAL') return undefined;
    throw error;
  }
}

/** Import `source` (a file path or a byte stream) into the store at `layout`. */
export async function importImage(
  layout: StoreLayout,
  source: string | AsyncIterable<Uint8Array>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const work = await createWorkDir(layout, options.signal);
  try {
    const blobPath = path.join(work.path, 'blob');
    const treePath = path.join(work.path, 'tree');
    await mkdir(treePath, { mode: 0o755 });
    const blob = openSync(blobPath, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    let extracted: UnpackedAci;
    let blobDirect: number | undefined;
    const flusher = new BlobFlusher(blob);
    let tarBytes = 0;
    try {
      blobDirect = openDirect(blobPath);
      extracted = await unpackAci(source, treePath, {
        ...(options.sourceName === undefined ? {} : { sourceName: options.sourceName }),
        signal: options.signal,
        copyTarTo: { fd: blob, directFd: blobDirect },
        onTarChunk: (chunk) => {
          tarBytes += chunk.length;
          options.onProgress?.(tarBytes);
          return flusher.wrote(chunk.length);
        },
        // Derived from the blob when first verified (store-render.ts): a second hash of every
        // file here would cost each import what only a verify needs.
        treeHash: false,
      });
      // Direct writes are on the device; fdatasync commits their allocation and flushes its cache.
      await flusher.finish();
    } finally {
      await flusher.settle();
      if (blobDirect !== undefined) closeSync(blobDirect);
      closeSync(blob);
    }
    await chmod(blobPath, 0o444);
    await writeTreeMeta(treePath, extracted.treeHash, [extracted.id]);
    await markUnflushed(treePath);
    const now = new Date();
    const candidate: ImageRecord = {
      id: extracted.id,
      name: extracted.manifest.name,
      labels: extracted.manifest.labels,
      sizeBytes: extracted.tarSizeBytes,
      treeSizeBytes: extracted.report.contentBytes,
      importTime: now,
      lastUsed: now,
      manifest: extracted.manifest,
    };
    const { record, alreadyPresent } = await withLock(layout.lock, 'exclusive', async () => {
      const existing = await readRecord(layout, candidate.id);
      // The image's tree may have been collected since; put the fresh one back either way.
      await installTree(layout, treePath, candidate.id);
      if (existing !== undefined) return { record: existing, alreadyPresent: true };
      await rename(blobPath, layout.blob(candidate.id));
      await fsyncDir(layout.blobs);
      await writeRecord(layout, candidate);
      return { record: candidate, alreadyPresent: false };
    }, { signal: options.signal });
    return { record, alreadyPresent, compression: extracted.compression, skippedXattrs: extracted.report.skippedXattrs };
  } finally {
    await work.release();
  }
}
