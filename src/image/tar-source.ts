/**
 * @module tar-source — the uncompressed tar of an ACI, delivered by filling caller-owned
 * buffers (the slots of the hashing ring). An uncompressed file is read straight into them;
 * compressed data and byte streams go through decompress.ts and are copied in. Either way the
 * reader sees one kind of source and holds no more than one decompressed chunk besides.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { errnoCode, notFound } from '../util/index.js';
import type { Compression } from './decompress.js';
import { SNIFF_BYTES, decompress, sniffCompression } from './decompress.js';

/** Read size for compressed files fed to the decompressor. */
const COMPRESSED_READ_BYTES = 1024 * 1024;

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

/** Reads an uncompressed file at increasing offsets, no copies. */
class FileTarSource implements TarSource {
  readonly compression: Compression = 'none';
  readonly fileBytes: number;
  readonly #handle: FileHandle;
  #position = 0;

  constructor(handle: FileHandle, fileBytes: number) {
    this.#handle = handle;
    this.fileBytes = fileBytes;
  }

  async fill(target: Buffer): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      const { bytesRead } = await this.#handle.read(target, filled, target.length - filled, this.#position);
      if (bytesRead === 0) break;
      filled += bytesRead;
      this.#position += bytesRead;
    }
    return filled;
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

/**
 * Open `source` (a file path or a byte stream) and sniff its compression. Errors:
 * `ERR_ACI_NOT_FOUND`, `ERR_ACI_EMPTY`, `ERR_ACI_UNKNOWN_FORMAT`, `ERR_DECOMPRESSOR_MISSING`,
 * and while filling `ERR_COMPRESSION_TRUNCATED`, `ERR_COMPRESSION_CORRUPT`.
 */
export async function openTarSource(source: string | AsyncIterable<Uint8Array>, sourceName: string): Promise<TarSource> {
  if (typeof source !== 'string') {
    const { compression, tar } = await decompress(source, { sourceName });
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
