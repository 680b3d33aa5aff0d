/**
 * @module tar-source — the uncompressed tar of an ACI, delivered by filling caller-owned
 * buffers (the slots of the hashing ring). An uncompressed file is read straight into them;
 * gzip data is inflated straight into them (gunzip-into.ts); other compressed data and
 * uncompressed byte streams go through decompress.ts and are copied in. Either way the reader
 * sees one kind of source and holds no more than one decompressed chunk besides.
 */
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { errnoCode, notFound } from '../../util/index.js';
import type { Compression } from './decompress.js';
import { SNIFF_BYTES, decompress, gzipError, peek, sniffCompression } from './decompress.js';
import type { CompressedInput } from './gunzip-into.js';
import { GunzipInto } from './gunzip-into.js';

/** Read size for compressed files fed to the decompressor. */
const COMPRESSED_READ_BYTES = 1024 * 1024;
/** Read size of gzip files inflated in place (two such buffers, reused). */
const GZIP_READ_BYTES = 256 * 1024;

/** An opened archive. Always {@link close} it. */
export interface TarSource {
  readonly compression: Compression;
  /** Size of the archive file in bytes, when the source is a file. */
  readonly fileBytes: number | undefined;
  /** Fill `target` from the start; resolves to the bytes placed (fewer only at the end, 0 after it). */
  fill(target: Buffer): Promise<number>;
  close(): Promise<void>;
}

async function openFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound('ERR_ACI_NOT_FOUND', `${file}: no such file`, { cause: error });
    throw error;
  }
}

/**
 * Reads an uncompressed file at increasing offsets, no copies. Synchronously: libuv's pool is
 * busy with the import's direct blob writes and background fdatasync, and a read queued behind
 * them kept the extracting thread waiting, while reading a slot (1 MiB) here takes well under
 * a millisecond from the page cache, and the kernel's readahead keeps a cold file about as
 * fast (bench/image-import.mjs: warm imports 10–14% faster).
 */
class FileTarSource implements TarSource {
  readonly compression: Compression = 'none';
  readonly fileBytes: number;
  readonly #handle: FileHandle;
  #position = 0;

  constructor(handle: FileHandle, fileBytes: number) {
    this.#handle = handle;
    this.fileBytes = fileBytes;
  }

  fill(target: Buffer): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      const bytesRead = readSync(this.#handle.fd, target, filled, target.length - filled, this.#position);
      if (bytesRead === 0) break;
      filled += bytesRead;
      this.#position += bytesRead;
    }
    return Promise.resolve(filled);
  }

  close(): Promise<void> {
    return this.#handle.close();
  }
}

/** Copies the chunks of an async iterable into the targets. */
class StreamTarSource implements TarSource {
  readonly compression: Compression;
  readonly fileBytes: number | undefined;
  readonly #iterator: AsyncIterator<Buffer>;
  readonly #onClose: () => void;
  #chunk: Buffer | undefined;
  #done = false;

  constructor(compression: Compression, tar: AsyncIterable<Buffer>, fileBytes: number | undefined, onClose: () => void) {
    this.compression = compression;
    this.fileBytes = fileBytes;
    this.#iterator = tar[Symbol.asyncIterator]();
    this.#onClose = onClose;
  }

  async fill(target: Buffer): Promise<number> {
    let filled = 0;
    while (filled < target.length && !this.#done) {
      if (this.#chunk === undefined || this.#chunk.length === 0) {
        const next = await this.#iterator.next();
        if (next.done === true) {
          this.#done = true;
          break;
        }
        this.#chunk = next.value;
      }
      const copied = this.#chunk.copy(target, filled);
      filled += copied;
      this.#chunk = this.#chunk.subarray(copied);
    }
    return filled;
  }

  async close(): Promise<void> {
    try {
      // Ends the decompressor (and kills a decompressing child) when we stop early.
      if (!this.#done) await this.#iterator.return?.();
    } finally {
      this.#onClose();
    }
  }
}

/** Inflates gzip data into the targets, no intermediate buffers. */
class GzipTarSource implements TarSource {
  readonly compression: Compression = 'gzip';
  readonly fileBytes: number | undefined;
  readonly #gunzip: GunzipInto;
  readonly #sourceName: string;
  readonly #onClose: () => Promise<void>;

  constructor(gunzip: GunzipInto, fileBytes: number | undefined, sourceName: string, onClose: () => Promise<void>) {
    this.#gunzip = gunzip;
    this.fileBytes = fileBytes;
    this.#sourceName = sourceName;
    this.#onClose = onClose;
  }

  async fill(target: Buffer): Promise<number> {
    try {
      return await this.#gunzip.fill(target);
    } catch (error) {
      throw gzipError(error, this.#sourceName);
    }
  }

  async close(): Promise<void> {
    this.#gunzip.close();
    await this.#onClose();
  }
}

/**
 * A file's bytes from `start`, read ahead into two alternating buffers: the next read runs on
 * libuv's pool while the current chunk is inflated. A chunk is valid until the next call.
 */
function fileInput(handle: FileHandle, start: number): { next: CompressedInput; settle: () => Promise<void> } {
  const buffers = [Buffer.allocUnsafe(GZIP_READ_BYTES), Buffer.allocUnsafe(GZIP_READ_BYTES)] as const;
  let position = start;
  let turn = 0;
  // Never rejects (a failed read is rethrown where it is awaited), so it cannot go unhandled.
  const read = (buffer: Buffer): Promise<{ bytes: Buffer } | { error: unknown }> => {
    const at = position;
    position += buffer.length;
    return handle.read(buffer, 0, buffer.length, at).then(
      ({ bytesRead }) => ({ bytes: buffer.subarray(0, bytesRead) }),
      (error: unknown) => ({ error }),
    );
  };
  let ahead: Promise<{ bytes: Buffer } | { error: unknown }> | undefined = read(buffers[0]);
  let ended = false;
  const next = async (): Promise<Uint8Array | undefined> => {
    if (ahead === undefined) return undefined;
    const result = await ahead;
    ahead = undefined;
    if ('error' in result) throw result.error;
    // A short read means the end: reads are positional and the file is not growing under us.
    if (result.bytes.length < GZIP_READ_BYTES) ended = true;
    if (!ended) {
      turn = 1 - turn;
      ahead = read(buffers[turn] ?? buffers[0]);
    }
    return result.bytes.length === 0 ? undefined : result.bytes;
  };
  return { next, settle: async () => void (await ahead) };
}

/** Input for {@link GunzipInto} from the chunks of an async iterable. */
function iterableInput(iterable: AsyncIterable<Buffer>): { next: CompressedInput; stop: () => Promise<void> } {
  const iterator = iterable[Symbol.asyncIterator]();
  let done = false;
  const next = async (): Promise<Uint8Array | undefined> => {
    if (done) return undefined;
    const result = await iterator.next();
    if (result.done === true) {
      done = true;
      return undefined;
    }
    return result.value;
  };
  return { next, stop: async () => void (done ? undefined : await iterator.return?.()) };
}

/**
 * Open `source` (a file path or a byte stream) and sniff its compression. Errors:
 * `ERR_ACI_NOT_FOUND`, `ERR_ACI_EMPTY`, `ERR_ACI_UNKNOWN_FORMAT`, `ERR_DECOMPRESSOR_MISSING`,
 * and while filling `ERR_COMPRESSION_TRUNCATED`, `ERR_COMPRESSION_CORRUPT`.
 */
export async function openTarSource(source: string | AsyncIterable<Uint8Array>, sourceName: string): Promise<TarSource> {
  if (typeof source !== 'string') {
    const { head, all } = await peek(source, SNIFF_BYTES);
    if (sniffCompression(head, sourceName) === 'gzip') {
      const input = iterableInput(all);
      const gunzip = GunzipInto.create(input.next);
      // Without zlib's internals nothing was read yet: the stream path below takes over.
      if (gunzip !== undefined) return new GzipTarSource(gunzip, undefined, sourceName, input.stop);
    }
    const { compression, tar } = await decompress(all, { sourceName });
    return new StreamTarSource(compression, tar, undefined, () => undefined);
  }
  const handle = await openFile(source);
  let compression: Compression;
  let size: number;
  try {
    size = (await handle.stat()).size;
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    compression = sniffCompression(head.subarray(0, bytesRead), sourceName);
  } catch (error) {
    await handle.close();
    throw error;
  }
  if (compression === 'none') return new FileTarSource(handle, size);
  if (compression === 'gzip') {
    const input = fileInput(handle, 0);
    const gunzip = GunzipInto.create(input.next);
    if (gunzip !== undefined) {
      return new GzipTarSource(gunzip, size, sourceName, async () => {
        await input.settle();
        await handle.close();
      });
    }
    await input.settle();
  }
  // The stream owns the handle from here (autoClose) and closes it when destroyed.
  const stream = handle.createReadStream({ start: 0, highWaterMark: COMPRESSED_READ_BYTES });
  try {
    const { tar } = await decompress(stream, { sourceName });
    return new StreamTarSource(compression, tar, size, () => stream.destroy());
  } catch (error) {
    stream.destroy();
    throw error;
  }
}
