/**
 * @module aci-unpack — the import's extraction: an ACI into `workDir/rootfs` + `workDir/manifest`
 * in one pass, with the tree writer as the reader's sink and the file digests for the tree hash
 * computed by the reader's hashing worker from the same buffers (aci-extract.ts does the same
 * through the pull-style handler, digesting on the main thread).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/index.js';
import type { ExtractedAci } from './aci-extract.js';
import { readAci } from './aci-reader.js';
import { hashTree } from './tree-hash.js';
import { TreeWriter } from './tree-writer.js';

/** Options of {@link unpackAci}. */
export interface UnpackOptions {
  readonly sourceName?: string;
  readonly signal?: AbortSignal | undefined;
  /** Sees every chunk of the uncompressed tar (see ReadAciOptions.onTarChunk). */
  readonly onTarChunk?: ((chunk: Buffer) => void | Promise<void>) | undefined;
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
    rootfsSink: writer,
    digestFiles: true,
  });
  const written = await writer.finish();
  await writeFileAtomic(path.join(workDir, 'manifest'), read.manifestText, { mode: 0o644 });
  const treeHash = await hashTree(rootfs, read.fileDigests);
  return { ...read, report: { ...written, contentDigests: read.fileDigests }, treeHash };
}
