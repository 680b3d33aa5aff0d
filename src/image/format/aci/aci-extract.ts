/**
 * @module aci-extract — unpack an ACI into a directory (`manifest` + `rootfs/`) with the safe
 * {@link TreeWriter}, in the same pass that hashes the archive. {@link extractAci} works in a
 * temp directory beside the destination and renames it into place only on success, so a
 * failed or interrupted extraction never leaves a half-written tree at the destination.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { alreadyExists, errnoCode, invalidArgument, writeFileAtomic } from '../../../util/index.js';
import type { AciReadResult } from './aci-reader.js';
import { readAci } from './aci-reader.js';
import type { TreeHash } from '../../tree/tree-hash.js';
import { hashTree } from '../../tree/tree-hash.js';
import type { ExtractionReport } from '../../tree/tree-writer.js';
import { TreeWriter } from '../../tree/tree-writer.js';

/** Options of {@link extractAciInto}. */
export interface ExtractIntoOptions {
  readonly sourceName?: string;
  readonly signal?: AbortSignal | undefined;
  readonly onTarChunk?: ((chunk: Buffer) => Promise<void>) | undefined;
}

/** An extracted ACI: what was read, what the writer reported, and the rootfs tree hash. */
export interface ExtractedAci extends AciReadResult {
  readonly report: ExtractionReport;
  readonly treeHash: TreeHash;
}

/**
 * Extract `source` into `workDir` (which must exist and be empty): `workDir/rootfs/` and
 * `workDir/manifest`. On failure `workDir` holds a partial tree; the caller removes it.
 */
export async function extractAciInto(
  source: string | AsyncIterable<Uint8Array>,
  workDir: string,
  options: ExtractIntoOptions = {},
): Promise<ExtractedAci> {
  const rootfs = path.join(workDir, 'rootfs');
  await mkdir(rootfs, { mode: 0o700 });
  const sourceName = options.sourceName ?? (typeof source === 'string' ? source : 'image');
  const writer = new TreeWriter(rootfs, sourceName);
  const read = await readAci(source, {
    sourceName,
    signal: options.signal,
    onTarChunk: options.onTarChunk,
    onRootfsEntry: (rel, entry, body) => writer.write(rel, entry, body),
  });
  const report = await writer.finish();
  await writeFileAtomic(path.join(workDir, 'manifest'), read.manifestText, { mode: 0o644 });
  const treeHash = await hashTree(rootfs, report.contentDigests);
  return { ...read, report, treeHash };
}

/** Options of {@link extractAci}. */
export interface ExtractAciOptions extends ExtractIntoOptions {
  /** Put the content of rootfs/ at the destination (no manifest). */
  readonly rootfsOnly?: boolean;
  /** Replace an existing destination. */
  readonly overwrite?: boolean;
}

/** Refuse `/` and, unless `overwrite`, an existing destination (`ERR_DESTINATION_EXISTS`). */
export async function checkDestination(dest: string, overwrite: boolean): Promise<void> {
  if (path.resolve(dest) === '/') throw invalidArgument('ERR_DESTINATION_ROOT', 'refusing to write to "/"');
  if (overwrite) return;
  try {
    await stat(dest);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  throw alreadyExists('ERR_DESTINATION_EXISTS', `${dest} already exists`, { hint: 'remove it or use --overwrite' });
}

/**
 * Extract `source` to `dest` atomically: work in `dest.tmp-*`, then rename into place.
 * Nothing is left behind on failure. Errors: those of {@link readAci}, `ERR_DESTINATION_EXISTS`,
 * `ERR_DESTINATION_ROOT`.
 */
export async function extractAci(
  source: string | AsyncIterable<Uint8Array>,
  dest: string,
  options: ExtractAciOptions = {},
): Promise<ExtractedAci> {
  await checkDestination(dest, options.overwrite === true);
  const work = `${dest.replace(/\/+$/, '')}.tmp-${randomBytes(6).toString('hex')}`;
  await mkdir(work, { mode: 0o700 });
  try {
    const extracted = await extractAciInto(source, work, options);
    if (options.overwrite === true) await rm(dest, { recursive: true, force: true });
    await rename(options.rootfsOnly === true ? path.join(work, 'rootfs') : work, dest);
    return extracted;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
