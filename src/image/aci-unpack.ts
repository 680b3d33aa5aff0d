/**
 * @module aci-unpack — the import's extraction: an ACI into `workDir/rootfs` + `workDir/manifest`
 * in one pass, with the tree writer as the reader's sink and the file digests for the tree hash
 * computed by the reader's hashing worker from the same buffers (aci-extract.ts does the same
 * through the pull-style handler, digesting on the main thread). The tree hash comes from what
 * the writer recorded, without a walk of the fresh tree. Nothing here is fsynced: the import
 * makes the whole work dir durable with one syncfs before it commits.
 */
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { ExtractedAci } from './aci-extract.js';
import { readAci } from './aci-reader.js';
import type { CopyTarget } from './tar-hasher.js';
import { hashTree } from './tree-hash.js';
import { TreeWriter } from './tree-writer.js';

/** Options of {@link unpackAci}. */
export interface UnpackOptions {
  readonly sourceName?: string;
  readonly signal?: AbortSignal | undefined;
  /** Sees every chunk of the uncompressed tar (see ReadAciOptions.onTarChunk). */
  readonly onTarChunk?: ((chunk: Buffer) => void | Promise<void>) | undefined;
  /** Gets a copy of the uncompressed tar (see ReadAciOptions.copyTarTo). */
  readonly copyTarTo?: CopyTarget | undefined;
}

/**
 * Unpack `source` into `workDir` (which must exist and be empty). On failure `workDir` holds a
 * partial tree; the caller removes it. Errors: those of readAci.
 */
export async function unpackAci(source: string | AsyncIterable<Uint8Array>, workDir: string, options: UnpackOptions = {}): Promise<ExtractedAci> {
  const rootfs = path.join(workDir, 'rootfs');
  await mkdir(rootfs, { mode: 0o700 });
  const sourceName = options.sourceName ?? (typeof source === 'string' ? source : 'image');
  const writer = new TreeWriter(rootfs, sourceName, { digestContent: false });
  const read = await readAci(source, {
    sourceName,
    signal: options.signal,
    onTarChunk: options.onTarChunk,
    copyTarTo: options.copyTarTo,
    rootfsSink: writer,
    digestFiles: true,
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
  const treeHash = writer.treeHash(read.fileDigests) ?? (await hashTree(rootfs, read.fileDigests));
  return { ...read, report: { ...written, contentDigests: read.fileDigests }, treeHash };
}
