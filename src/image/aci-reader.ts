/**
 * @module aci-reader — read an ACI in one pass: decompress, hash the uncompressed tar (the image
 * ID), check the layout (only `manifest` and `rootfs/`, no duplicates, no unsafe paths),
 * parse the manifest and hand each rootfs entry to a callback, all while the data streams by
 * once. Memory stays bounded: only the manifest is buffered.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { Extract } from 'tar-stream';
import { extract as createExtract } from 'tar-stream';
import { errnoCode, invalidArgument, isRockletError, notFound } from '../util/index.js';
import type { Compression } from './decompress.js';
import { decompress } from './decompress.js';
import type { ImageId } from './image-id.js';
import { imageIdFromHex } from './image-id.js';
import type { ImageManifest } from './manifest.js';
import { parseImageManifest } from './manifest.js';
import type { TarEntry } from './tar-entry.js';
import { checkSymlinkTarget, toTarEntry } from './tar-entry.js';

/** Manifests larger than this are refused (a manifest is a few KB; this bounds memory). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;

/** One entry of tar-stream's extractor (the package does not export the type). */
type Source = Extract extends AsyncIterable<infer S> ? S : never;

/** Receives each entry under rootfs/ at its rootfs-relative path (`''` for rootfs itself). */
export type RootfsEntryHandler = (rel: string, entry: TarEntry, body: AsyncIterable<Buffer>) => Promise<void>;

/** Options of {@link readAci}. */
export interface ReadAciOptions {
  /** Names the archive in messages (a path or URL). */
  readonly sourceName?: string;
  readonly signal?: AbortSignal | undefined;
  /** Sees every chunk of the uncompressed tar, in order, before it is parsed (e.g. to store it). */
  readonly onTarChunk?: ((chunk: Buffer) => Promise<void>) | undefined;
  /** Gets each rootfs entry; without it file bodies are skipped. */
  readonly onRootfsEntry?: RootfsEntryHandler | undefined;
}

/** What {@link readAci} found. */
export interface AciReadResult {
  readonly id: ImageId;
  readonly manifest: ImageManifest;
  readonly manifestText: string;
  /** Size of the uncompressed tar in bytes. */
  readonly tarSizeBytes: number;
  readonly compression: Compression;
}

/** Tracks the uncompressed stream: its SHA-512, length, and the run of zero bytes at its end. */
class TarObserver {
  readonly hash = createHash('sha512');
  bytes = 0;
  trailingZeros = 0;

  observe(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let last = chunk.length - 1;
    while (last >= 0 && chunk[last] === 0) last -= 1;
    this.trailingZeros = last < 0 ? this.trailingZeros + chunk.length : chunk.length - 1 - last;
  }
}

async function openSource(source: string): Promise<FileHandle> {
  try {
    return await open(source, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound('ERR_ACI_NOT_FOUND', `${source}: no such file`, { cause: error });
    throw error;
  }
}

/** Map an error raised by tar-stream's parser to our codes; leave others alone. */
function tarError(error: unknown, sourceName: string): unknown {
  if (isRockletError(error) || !(error instanceof Error) || errnoCode(error) !== undefined) return error;
  if (/unexpected end/i.test(error.message)) {
    return invalidArgument('ERR_TAR_TRUNCATED', `${sourceName}: the tar archive ends early (truncated)`, { cause: error });
  }
  return invalidArgument('ERR_TAR_CORRUPT', `${sourceName}: the tar archive is corrupt: ${error.message}`, { cause: error });
}

function waitForDrain(stream: Extract): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('tar parser closed'));
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
  });
}

async function* entryBody(entry: Source, sourceName: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of entry) yield chunk as Buffer;
  } catch (error) {
    throw tarError(error, sourceName);
  }
}

async function drain(body: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += chunk.length;
  return bytes;
}

/**
 * Read an ACI (a file path or a byte stream) in one pass. Errors, each its own code:
 * `ERR_ACI_NOT_FOUND`, `ERR_ACI_EMPTY`, `ERR_ACI_UNKNOWN_FORMAT`, `ERR_COMPRESSION_TRUNCATED`,
 * `ERR_COMPRESSION_CORRUPT`, `ERR_DECOMPRESSOR_MISSING`, `ERR_TAR_TRUNCATED`, `ERR_TAR_CORRUPT`,
 * `ERR_TAR_UNSAFE_PATH`, `ERR_TAR_UNSAFE_LINK`, `ERR_TAR_UNSUPPORTED_ENTRY`, `ERR_ACI_LAYOUT`,
 * `ERR_ACI_DUPLICATE_ENTRY`, `ERR_ACI_NO_MANIFEST`, `ERR_ACI_NO_ROOTFS`,
 * `ERR_MANIFEST_NOT_JSON`, `ERR_INVALID_MANIFEST`, plus whatever `onRootfsEntry` throws.
 */
export async function readAci(source: string | AsyncIterable<Uint8Array>, options: ReadAciOptions = {}): Promise<AciReadResult> {
  const sourceName = options.sourceName ?? (typeof source === 'string' ? source : 'image');
  // The stream owns the handle (autoClose) and closes it when it ends or is destroyed; a
  // FileHandle with a live stream on it cannot be closed directly.
  const stream = typeof source === 'string' ? (await openSource(source)).createReadStream({ highWaterMark: READ_CHUNK_BYTES }) : undefined;
  try {
    const { compression, tar } = await decompress(stream ?? (source as AsyncIterable<Uint8Array>), { sourceName });
    const parsed = await parseTar(tar, sourceName, options);
    return { ...parsed, compression };
  } finally {
    stream?.destroy();
  }
}

interface ParsedTar {
  readonly id: ImageId;
  readonly manifest: ImageManifest;
  readonly manifestText: string;
  readonly tarSizeBytes: number;
}

async function parseTar(tar: AsyncIterable<Buffer>, sourceName: string, options: ReadAciOptions): Promise<ParsedTar> {
  const observer = new TarObserver();
  const extract = createExtract();
  const layout = new LayoutChecker(sourceName, options.onRootfsEntry);
  let failure: unknown;
  const fail = (error: unknown): void => {
    if (failure !== undefined) return;
    failure = error;
    extract.destroy(error instanceof Error ? error : new Error('aborted'));
  };

  const feed = async (): Promise<void> => {
    for await (const chunk of tar) {
      options.signal?.throwIfAborted();
      observer.observe(chunk);
      if (options.onTarChunk !== undefined) await options.onTarChunk(chunk);
      if (!extract.write(chunk)) await waitForDrain(extract);
    }
    extract.end(undefined);
  };
  const consume = async (): Promise<void> => {
    try {
      for await (const entry of extract) await layout.accept(entry);
    } catch (error) {
      throw tarError(error, sourceName);
    }
  };
  await Promise.all([feed().catch(fail), consume().catch(fail)]);
  if (failure !== undefined) throw failure as Error;

  // tar-stream accepts an archive cut exactly at an entry boundary; the end-of-archive marker
  // (two zero blocks after the last entry) tells a complete archive from a truncated one.
  const zerosFrom = observer.bytes - observer.trailingZeros;
  if (observer.bytes - layout.endOfEntries < 1024 || zerosFrom > layout.endOfEntries) {
    throw invalidArgument('ERR_TAR_TRUNCATED', `${sourceName}: the tar archive ends early (no end-of-archive marker: truncated)`);
  }
  const { manifest, manifestText } = layout.result();
  return { id: imageIdFromHex(observer.hash.digest('hex')), manifest, manifestText, tarSizeBytes: observer.bytes };
}

/** Applies the ACI layout rules to entries in archive order and dispatches rootfs entries. */
class LayoutChecker {
  readonly #sourceName: string;
  readonly #onRootfsEntry: RootfsEntryHandler | undefined;
  readonly #seen = new Set<string>();
  #manifest: { manifest: ImageManifest; manifestText: string } | undefined;
  #rootfs = false;
  /** Byte offset just past the data of the last entry (its header offset + 512 + padded size). */
  endOfEntries = 0;

  constructor(sourceName: string, onRootfsEntry: RootfsEntryHandler | undefined) {
    this.#sourceName = sourceName;
    this.#onRootfsEntry = onRootfsEntry;
  }

  async accept(source: Source): Promise<void> {
    const entry = toTarEntry(source.header, this.#sourceName);
    const dataSize = source.header.type === 'directory' ? 0 : source.header.size;
    this.endOfEntries = source.offset + 512 + Math.ceil(dataSize / 512) * 512;
    const body = entryBody(source, this.#sourceName);
    const { name } = entry;
    if (name === '' && entry.type === 'directory') return void (await drain(body));
    if (this.#seen.has(name)) {
      throw invalidArgument('ERR_ACI_DUPLICATE_ENTRY', `${this.#sourceName}: tar entry "${name}" appears twice`);
    }
    this.#seen.add(name);
    if (name === 'manifest') return this.#readManifest(entry, body);
    if (name === 'rootfs') {
      if (entry.type !== 'directory') throw invalidArgument('ERR_ACI_LAYOUT', `${this.#sourceName}: "rootfs" must be a directory`);
      this.#rootfs = true;
    } else if (!name.startsWith('rootfs/')) {
      throw invalidArgument('ERR_ACI_LAYOUT', `${this.#sourceName}: unexpected entry "${name}": an ACI holds only "manifest" and "rootfs/"`);
    }
    const rel = name === 'rootfs' ? '' : name.slice('rootfs/'.length);
    if (entry.type === 'symlink') checkSymlinkTarget(this.#sourceName, name, rel, entry.linkname ?? '');
    if (this.#onRootfsEntry === undefined) await drain(body);
    else await this.#onRootfsEntry(rel, entry, body);
  }

  async #readManifest(entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    if (entry.type !== 'file') throw invalidArgument('ERR_ACI_LAYOUT', `${this.#sourceName}: "manifest" must be a regular file`);
    if (entry.size > MAX_MANIFEST_BYTES) {
      throw invalidArgument('ERR_ACI_LAYOUT', `${this.#sourceName}: the manifest is ${entry.size} bytes; at most ${MAX_MANIFEST_BYTES} are allowed`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    const manifestText = Buffer.concat(chunks).toString('utf8');
    this.#manifest = { manifest: parseImageManifest(manifestText, `the manifest of ${this.#sourceName}`), manifestText };
  }

  result(): { manifest: ImageManifest; manifestText: string } {
    if (this.#manifest === undefined) {
      throw invalidArgument('ERR_ACI_NO_MANIFEST', `${this.#sourceName}: the archive has no "manifest" file`, {
        hint: 'an ACI is a tar holding "manifest" and "rootfs/" at its top level',
      });
    }
    if (!this.#rootfs) {
      throw invalidArgument('ERR_ACI_NO_ROOTFS', `${this.#sourceName}: the archive has no "rootfs" directory`, {
        hint: 'an ACI is a tar holding "manifest" and "rootfs/" at its top level',
      });
    }
    return this.#manifest;
  }
}
