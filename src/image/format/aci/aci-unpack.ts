/**
 * @module aci-unpack — the import's extraction: an ACI into `workDir/rootfs` + `workDir/manifest`
 * in one pass, with the tree writer as the reader's sink. With `treeHash`, the file digests for
 * the tree hash are computed by the reader's hashing worker from the same buffers (aci-extract.ts
 * does the same through the pull-style handler, digesting on the main thread), and the tree hash
 * comes from what the writer recorded, without a walk of the fresh tree. An import skips it: the
 * SHA-256 of every file was the hashing thread's second job and often made the extracting
 * thread wait; `image verify` derives the hash from the blob when it first needs it
 * (store-render.ts). Nothing here is fsynced: the import makes the whole work dir durable with
 * one syncfs before it commits.
 */
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { ExtractedAci } from './aci-extract.js';
import { readAci } from './aci-reader.js';
import type { CopyTarget } from '../../archive/tar-hasher.js';
import type { TreeHash } from '../../tree/tree-hash.js';
import { hashTree } from '../../tree/tree-hash.js';
import { TreeWriter } from '../../tree/tree-writer.js';

/** Options of {@link unpackAci}. */
export interface UnpackOptions {
  readonly sourceName?: string;
  readonly signal?: AbortSignal | undefined;
  /** Sees every chunk of the uncompressed tar (see ReadAciOptions.onTarChunk). */
  readonly onTarChunk?: ((chunk: Buffer) => void | Promise<void>) | undefined;
  /** Gets a copy of the uncompressed tar (see ReadAciOptions.copyTarTo). */
  readonly copyTarTo?: CopyTarget | undefined;
  /** Compute the tree hash (default true). */
  readonly treeHash?: boolean;
}

/** An unpacked ACI; `treeHash` is undefined when it was not asked for. */
export interface UnpackedAci extends Omit<ExtractedAci, 'treeHash'> {
  readonly treeHash: TreeHash | undefined;
}

/**
 * Unpack `source` into `workDir` (which must exist and be empty). On failure `workDir` holds a
 * partial tree; the caller removes it. Errors: those of readAci.
 */
export async function unpackAci(source: string | AsyncIterable<Uint8Array>, workDir: string, options: UnpackOptions = {}): Promise<UnpackedAci> {
  const rootfs = path.join(workDir, 'rootfs');
  await mkdir(rootfs, { mode: 0o700 });
  const sourceName = options.sourceName ?? (typeof source === 'string' ? source : 'image');
  const wantHash = options.treeHash !== false;
  const writer = new TreeWriter(rootfs, sourceName, { digestContent: false, recordTree: wantHash });
  const read = await readAci(source, {
    sourceName,
    signal: options.signal,
    onTarChunk: options.onTarChunk,
    copyTarTo: options.copyTarTo,
    rootfsSink: writer,
    digestFiles: wantHash,
  });
  const written = await writer.finish();
  // A fresh file in a private work dir: no temp-and-rename needed, and the import's syncfs covers it.
  const manifest = await open(path.join(workDir, 'manifest'), 'wx', 0o600);
  try {
    await manifest.writeFile(read.manifestText);
    await manifest.chmod(0o644);
  } finally {
    await manifest.close();
  }
  const treeHash = wantHash ? writer.treeHash(read.fileDigests) ?? (await hashTree(rootfs, read.fileDigests)) : undefined;
  return { ...read, report: { ...written, contentDigests: read.fileDigests }, treeHash };
}
