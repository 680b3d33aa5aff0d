/**
 * @module aci-reader — read an ACI in one pass: decompress, hash the uncompressed tar (the image
 * ID), check the layout (only `manifest` and `rootfs/`, no duplicates, no unsafe paths), parse
 * the manifest and push each rootfs entry to a sink, all while the data streams by once.
 *
 * The data moves through a small ring of slots (tar-hasher.ts): a slot is filled from the
 * source, offered to `onTarChunk`, parsed and extracted on this thread, then hashed on a worker
 * thread, and reused once both are done; the next slot is filled before this one is extracted
 * (an uncompressed file is read synchronously, see tar-source.ts).
 * Memory is the ring plus the manifest, whatever the image size.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { invalidArgument } from '../../../util/index.js';
import type { Compression } from '../../archive/decompress.js';
import { SEGMENT_END, SEGMENT_START } from '../../archive/hash-protocol.js';
import type { ImageId } from './image-id.js';
import { imageIdFromHex } from './image-id.js';
import type { ImageManifest } from './manifest.js';
import { parseImageManifest } from './manifest.js';
import type { RootfsEntryHandler, RootfsSink } from '../../tree/rootfs-sink.js';
import { HandlerSink } from '../../tree/rootfs-sink.js';
import type { TarEntry } from '../../archive/tar-entry.js';
import { checkSymlinkTarget, toTarEntry } from '../../archive/tar-entry.js';
import type { CopyTarget, HashSlot } from '../../archive/tar-hasher.js';
import { TarHasher } from '../../archive/tar-hasher.js';
import type { TarEvent } from '../../archive/tar-parser.js';
import { TarFormatError, TarParser } from '../../archive/tar-parser.js';
import type { TarSource } from '../../archive/tar-source.js';
import { openTarSource } from '../../archive/tar-source.js';

export type { RootfsEntryHandler, RootfsSink } from '../../tree/rootfs-sink.js';

/** Manifests larger than this are refused (a manifest is a few KB; this bounds memory). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/**
 * When this many submitted slots still wait for the hashing thread as a file starts, this
 * thread digests that file itself: both cores stay busy instead of one waiting for the other.
 * The count is a little stale (replies are seen between chunks), and hashing is the lighter
 * side since the tree writes stay here: only a clear backlog (of at most 4) moves work back.
 */
const DIGEST_HERE_BACKLOG = 3;
/** Files smaller than this are hashed on the calling thread: a worker takes longer to start. */
export const INLINE_HASH_MAX_BYTES = 4 * 1024 * 1024;

/** Options of {@link readAci}. */
export interface ReadAciOptions {
  /** Names the archive in messages (a path or URL). */
  readonly sourceName?: string;
  readonly signal?: AbortSignal | undefined;
  /**
   * Sees every chunk of the uncompressed tar, in order, before it is parsed (e.g. to store it).
   * The chunk is reused afterwards: it is valid until the call returns or its promise settles.
   */
  readonly onTarChunk?: ((chunk: Buffer) => void | Promise<void>) | undefined;
  /**
   * A new file that gets every byte of the uncompressed tar, written off this thread where it
   * can be (see TarHasherOptions.copyTo).
   */
  readonly copyTarTo?: CopyTarget | undefined;
  /** Gets each rootfs entry (pull style); without it or `rootfsSink`, file bodies are skipped. */
  readonly onRootfsEntry?: RootfsEntryHandler | undefined;
  /** Gets each rootfs entry (push style, no copies); takes precedence over `onRootfsEntry`. */
  readonly rootfsSink?: RootfsSink | undefined;
  /** Compute the SHA-256 of every rootfs regular file ({@link AciReadResult.fileDigests}). */
  readonly digestFiles?: boolean;
}

/** What {@link readAci} found. */
export interface AciReadResult {
  readonly id: ImageId;
  readonly manifest: ImageManifest;
  readonly manifestText: string;
  /** Size of the uncompressed tar in bytes. */
  readonly tarSizeBytes: number;
  readonly compression: Compression;
  /** With `digestFiles`: SHA-256 (hex) of each rootfs regular file by rootfs-relative path, hardlinks included. */
  readonly fileDigests: ReadonlyMap<string, string>;
}

/** Map a parser error to our codes; leave others alone. */
function tarError(error: unknown, sourceName: string): unknown {
  if (!(error instanceof TarFormatError)) return error;
  if (error.truncated) {
    return invalidArgument('ERR_TAR_TRUNCATED', `${sourceName}: the tar archive ends early (truncated)`, { cause: error });
  }
  return invalidArgument('ERR_TAR_CORRUPT', `${sourceName}: the tar archive is corrupt: ${error.message}`, { cause: error });
}

/**
 * Read an ACI (a file path or a byte stream) in one pass. Errors, each its own code:
 * `ERR_ACI_NOT_FOUND`, `ERR_ACI_EMPTY`, `ERR_ACI_UNKNOWN_FORMAT`, `ERR_COMPRESSION_TRUNCATED`,
 * `ERR_COMPRESSION_CORRUPT`, `ERR_DECOMPRESSOR_MISSING`, `ERR_TAR_TRUNCATED`, `ERR_TAR_CORRUPT`,
 * `ERR_TAR_UNSAFE_PATH`, `ERR_TAR_UNSAFE_LINK`, `ERR_TAR_UNSUPPORTED_ENTRY`, `ERR_ACI_LAYOUT`,
 * `ERR_ACI_DUPLICATE_ENTRY`, `ERR_ACI_NO_MANIFEST`, `ERR_ACI_NO_ROOTFS`,
 * `ERR_MANIFEST_NOT_JSON`, `ERR_INVALID_MANIFEST`, `ERR_HASH_WORKER_FAILED`,
 * `ERR_TAR_COPY_FAILED`, plus whatever the sink, handler or `onTarChunk` throws.
 */
export async function readAci(source: string | AsyncIterable<Uint8Array>, options: ReadAciOptions = {}): Promise<AciReadResult> {
  const sourceName = options.sourceName ?? (typeof source === 'string' ? source : 'image');
  const tar = await openTarSource(source, sourceName);
  try {
    return { ...(await readTar(tar, sourceName, options)), compression: tar.compression };
  } finally {
    await tar.close();
  }
}

type Filled = { readonly slot: HashSlot; readonly length: number } | { readonly error: unknown };

async function readTar(tar: TarSource, sourceName: string, options: ReadAciOptions): Promise<Omit<AciReadResult, 'compression'>> {
  const small = tar.fileBytes !== undefined && tar.fileBytes < INLINE_HASH_MAX_BYTES;
  const hasher = new TarHasher({ mode: small ? 'inline' : 'worker', label: sourceName, copyTo: options.copyTarTo });
  const sink = options.rootfsSink ?? (options.onRootfsEntry === undefined ? undefined : new HandlerSink(options.onRootfsEntry));
  const router = new EntryRouter(sourceName, sink, options.digestFiles === true, () => hasher.backlog >= DIGEST_HERE_BACKLOG);
  const parser = new TarParser();
  const tail = new TailObserver();
  // The async function runs synchronously up to the read when a slot is free, so the read
  // starts now, not in a later microtask (which would run only after the current slot is
  // extracted). Never rejects, so a read failing meanwhile is not an unhandled rejection;
  // its error is rethrown where it is awaited.
  const fillNext = (): Promise<Filled> => (async (): Promise<Filled> => {
    const slot = hasher.tryAcquire() ?? (await hasher.acquire());
    return { slot, length: await tar.fill(slot.buffer) };
  })().then((filled) => filled, (error: unknown) => ({ error }));
  let prefetch: Promise<Filled> | undefined = fillNext();
  try {
    for (;;) {
      const filled: Filled = await prefetch;
      prefetch = undefined;
      if ('error' in filled) throw filled.error;
      options.signal?.throwIfAborted();
      const { slot, length } = filled;
      if (length === 0) break;
      const chunk = slot.buffer.subarray(0, length);
      tail.observe(chunk);
      const hold = options.onTarChunk?.(chunk);
      prefetch = fillNext();
      parser.push(chunk);
      const segments = await router.route(parser, chunk);
      hasher.submit(slot, length, segments, hold instanceof Promise ? hold : undefined);
    }
    parser.end();
    const hashes = await hasher.finish();
    // tar-stream, like us, accepts an archive cut exactly at an entry boundary; the
    // end-of-archive marker (two zero blocks after the last entry) tells a complete archive
    // from a truncated one.
    const zerosFrom = tail.bytes - tail.trailingZeros;
    if (tail.bytes - router.endOfEntries < 1024 || zerosFrom > router.endOfEntries) {
      throw invalidArgument('ERR_TAR_TRUNCATED', `${sourceName}: the tar archive ends early (no end-of-archive marker: truncated)`);
    }
    const { manifest, manifestText } = router.result();
    return {
      id: imageIdFromHex(hashes.sha512), manifest, manifestText, tarSizeBytes: tail.bytes, fileDigests: router.fileDigests(hashes.fileDigests),
    };
  } catch (error) {
    sink?.abort(error);
    throw tarError(error, sourceName);
  } finally {
    await hasher.close();
    // Let an outstanding read finish before the source is closed under it.
    await prefetch;
  }
}

/** Tracks the stream's length and the run of zero bytes at its end. */
class TailObserver {
  bytes = 0;
  trailingZeros = 0;

  observe(chunk: Buffer): void {
    this.bytes += chunk.length;
    let last = chunk.length - 1;
    while (last >= 0 && chunk[last] === 0) last -= 1;
    this.trailingZeros = last < 0 ? this.trailingZeros + chunk.length : chunk.length - 1 - last;
  }
}

type Target = 'skip' | 'manifest' | 'sink';

/** Applies the ACI layout rules to entries in archive order and routes their content. */
class EntryRouter {
  readonly #sourceName: string;
  readonly #sink: RootfsSink | undefined;
  readonly #digestFiles: boolean;
  readonly #seen = new Set<string>();
  /** The files digested, in stream order, with the digest when this thread computed it. */
  readonly #digested: { rel: string; digest: string | undefined }[] = [];
  /** Whether this thread should digest the next file itself (the hashing thread is behind). */
  readonly #digestHere: () => boolean;
  /** The current file's digest when this thread computes it. */
  #hash: Hash | undefined;
  /** Hardlinks as [rel, target rel], in stream order. */
  readonly #hardlinks: [string, string][] = [];
  #manifest: { manifest: ImageManifest; manifestText: string } | undefined;
  #manifestChunks: Buffer[] = [];
  #rootfs = false;
  #target: Target = 'skip';
  /** The current entry is a regular file whose content goes to the sink. */
  #fileContent = false;
  #digesting = false;
  #startPending = false;
  /** Byte offset just past the data of the last entry (its header offset + 512 + padded size). */
  endOfEntries = 0;

  constructor(sourceName: string, sink: RootfsSink | undefined, digestFiles: boolean, digestHere: () => boolean) {
    this.#sourceName = sourceName;
    this.#digestHere = digestHere;
    this.#sink = sink;
    this.#digestFiles = digestFiles && sink !== undefined;
  }

  /** Handle every event the parser has for `chunk`; returns the file segments to digest in it. */
  async route(parser: TarParser, chunk: Buffer): Promise<number[]> {
    const segments: number[] = [];
    for (let event = parser.next(); event !== undefined; event = parser.next()) {
      const pending = this.#handle(event, chunk, segments);
      if (pending !== undefined) await pending;
    }
    return segments;
  }

  #handle(event: TarEvent, chunk: Buffer, segments: number[]): void | Promise<void> {
    switch (event.kind) {
      case 'entry':
        return this.#accept(event.header, event.offset);
      case 'data':
        if (this.#target === 'manifest') {
          this.#manifestChunks.push(Buffer.from(event.bytes));
          return undefined;
        }
        if (this.#target !== 'sink' || !this.#fileContent) return undefined;
        if (this.#hash !== undefined) {
          this.#hash.update(event.bytes);
        } else if (this.#digesting) {
          const start = event.bytes.byteOffset - chunk.byteOffset;
          segments.push(start, start + event.bytes.length, this.#startPending ? SEGMENT_START : 0);
          this.#startPending = false;
        }
        return this.#sink?.data(event.bytes);
      case 'entry-end':
        return this.#finishEntry(segments);
    }
  }

  #accept(header: Parameters<typeof toTarEntry>[0], offset: number): void | Promise<void> {
    const entry = toTarEntry(header, this.#sourceName);
    const dataSize = header.type === 'directory' ? 0 : header.size;
    this.endOfEntries = offset + 512 + Math.ceil(dataSize / 512) * 512;
    this.#target = 'skip';
    const { name } = entry;
    if (name === '' && entry.type === 'directory') return undefined;
    if (this.#seen.has(name)) {
      throw invalidArgument('ERR_ACI_DUPLICATE_ENTRY', `${this.#sourceName}: tar entry "${name}" appears twice`);
    }
    this.#seen.add(name);
    if (name === 'manifest') return this.#startManifest(entry);
    if (name === 'rootfs') {
      if (entry.type !== 'directory') throw invalidArgument('ERR_ACI_LAYOUT', `${this.#sourceName}: "rootfs" must be a directory`);
      this.#rootfs = true;
    } else if (!name.startsWith('rootfs/')) {
      throw invalidArgument('ERR_ACI_LAYOUT', `${this.#sourceName}: unexpected entry "${name}": an ACI holds only "manifest" and "rootfs/"`);
    }
    const rel = name === 'rootfs' ? '' : name.slice('rootfs/'.length);
    if (entry.type === 'symlink') checkSymlinkTarget(this.#sourceName, name, rel, entry.linkname ?? '');
    if (this.#sink === undefined) return undefined;
    this.#target = 'sink';
    // Only regular files have content; data a link or device header claims is skipped.
    this.#fileContent = entry.type === 'file';
    this.#digesting = this.#digestFiles && this.#fileContent;
    if (this.#digesting && this.#digestHere()) {
      this.#digested.push({ rel, digest: undefined });
      this.#hash = createHash('sha256');
      this.#digesting = false;
    } else if (this.#digesting) {
      this.#digested.push({ rel, digest: undefined });
      this.#startPending = true;
    }
    if (this.#digestFiles && entry.type === 'hardlink') this.#hardlinks.push([rel, (entry.linkname ?? '').slice('rootfs/'.length)]);
    return this.#sink.begin(rel, entry);
  }

  #startManifest(entry: TarEntry): void {
    if (entry.type !== 'file') throw invalidArgument('ERR_ACI_LAYOUT', `${this.#sourceName}: "manifest" must be a regular file`);
    if (entry.size > MAX_MANIFEST_BYTES) {
      throw invalidArgument('ERR_ACI_LAYOUT', `${this.#sourceName}: the manifest is ${entry.size} bytes; at most ${MAX_MANIFEST_BYTES} are allowed`);
    }
    this.#target = 'manifest';
    this.#manifestChunks = [];
  }

  #finishEntry(segments: number[]): void | Promise<void> {
    const target = this.#target;
    this.#target = 'skip';
    if (target === 'manifest') {
      const manifestText = Buffer.concat(this.#manifestChunks).toString('utf8');
      this.#manifestChunks = [];
      this.#manifest = { manifest: parseImageManifest(manifestText, `the manifest of ${this.#sourceName}`), manifestText };
      return undefined;
    }
    if (target !== 'sink') return undefined;
    const last = this.#digested.at(-1);
    if (this.#hash !== undefined && last !== undefined) {
      last.digest = this.#hash.digest('hex');
      this.#hash = undefined;
    }
    if (this.#digesting) {
      // An empty file has no content segment: give it an empty one that starts and ends it.
      if (this.#startPending) segments.push(0, 0, SEGMENT_START);
      const end = segments.length - 1;
      segments[end] = (segments[end] ?? 0) | SEGMENT_END;
      this.#digesting = false;
      this.#startPending = false;
    }
    return this.#sink?.end();
  }

  /** Digests by path, given the digests of the files in the order they were started. */
  fileDigests(digests: readonly string[]): Map<string, string> {
    const byPath = new Map<string, string>();
    if (!this.#digestFiles) return byPath;
    let next = 0;
    for (const { rel, digest } of this.#digested) {
      const value = digest ?? digests[next++];
      if (value === undefined) throw new Error(`aci reader: no digest for "${rel}"`);
      byPath.set(rel, value);
    }
    if (next !== digests.length) throw new Error(`aci reader: ${digests.length} file digests for ${next} files`);
    for (const [rel, target] of this.#hardlinks) {
      const digest = byPath.get(target);
      if (digest !== undefined) byPath.set(rel, digest);
    }
    return byPath;
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
