/**
 * @module decompress — sniff an ACI's compression by magic bytes (never by file name) and
 * stream the uncompressed tar. gzip uses zlib; bzip2, xz and zstd pipe through `bzip2 -dc`,
 * `xz -dc`, `zstd -dc` when the host has them (formats.md §1.1; zstd is our extension).
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RockletError } from '../../util/index.js';
import { errnoCode, failedPrecondition, invalidArgument, isRockletError } from '../../util/index.js';

export const COMPRESSIONS = ['none', 'gzip', 'bzip2', 'xz', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** Bytes needed to recognise every format (the tar magic sits at offset 257). */
export const SNIFF_BYTES = 512;
const TAR_MAGIC_OFFSET = 257;

const MAGIC: readonly (readonly [Compression, readonly number[]])[] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** The compression of a stream starting with `head`, or undefined when it is no known format. */
export function detectCompression(head: Uint8Array): Compression | undefined {
  for (const [name, magic] of MAGIC) {
    if (magic.every((byte, index) => head[index] === byte)) return name;
  }
  const ustar = Buffer.from(head.subarray(TAR_MAGIC_OFFSET, TAR_MAGIC_OFFSET + 5)).toString('latin1');
  return ustar === 'ustar' ? 'none' : undefined;
}

/**
 * The compression of an archive starting with `head` (its first {@link SNIFF_BYTES} bytes, or
 * all of it when shorter). Errors: `ERR_ACI_EMPTY`, `ERR_ACI_UNKNOWN_FORMAT`.
 */
export function sniffCompression(head: Uint8Array, sourceName: string): Compression {
  if (head.length === 0) throw invalidArgument('ERR_ACI_EMPTY', `${sourceName} is empty`);
  const compression = detectCompression(head);
  if (compression === undefined) {
    throw invalidArgument('ERR_ACI_UNKNOWN_FORMAT', `${sourceName} is not an ACI: neither a tar archive nor gzip, bzip2, xz or zstd data`);
  }
  return compression;
}

/** The first `count` bytes of `source` (fewer at its end) and an iterable of everything. */
export async function peek(source: AsyncIterable<Uint8Array>, count: number): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < count) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    chunks.push(chunk);
    length += chunk.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* chunks;
    if (done) return;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  }
  return { head: Buffer.concat(chunks), all: all() };
}

/** Where an archive comes from, for messages. */
export interface DecompressOptions {
  readonly sourceName: string;
}

/** The uncompressed stream of an archive and the compression that was found. */
export interface Decompressed {
  readonly compression: Compression;
  readonly tar: AsyncIterable<Buffer>;
}

/**
 * Sniff `source` and return its uncompressed bytes. Errors: `ERR_ACI_EMPTY`,
 * `ERR_ACI_UNKNOWN_FORMAT` (not tar, gzip, bzip2, xz or zstd), `ERR_DECOMPRESSOR_MISSING`
 * (e.g. no `xz` binary), `ERR_COMPRESSION_TRUNCATED`, `ERR_COMPRESSION_CORRUPT` — the last
 * two raised while the returned stream is read.
 */
export async function decompress(source: AsyncIterable<Uint8Array>, options: DecompressOptions): Promise<Decompressed> {
  const { head, all } = await peek(source, SNIFF_BYTES);
  const compression = sniffCompression(head, options.sourceName);
  switch (compression) {
    case 'none':
      return { compression, tar: all };
    case 'gzip':
      return { compression, tar: gunzip(all, options.sourceName) };
    case 'bzip2':
    case 'xz':
    case 'zstd':
      return { compression, tar: throughCommand(compression, all, options.sourceName) };
  }
}

async function* gunzip(input: AsyncIterable<Buffer>, sourceName: string): AsyncGenerator<Buffer> {
  // node:zlib loads on demand (~8 ms): most importers of this module never inflate anything.
  const { createGunzip } = await import('node:zlib');
  const transform = createGunzip({ chunkSize: 256 * 1024 });
  // The feeding promise settles to its error instead of rejecting, so it never goes unhandled
  // while we are still reading; it is awaited (and its error rethrown) below.
  const feeding = pipeline(Readable.from(input), transform).then(
    () => undefined,
    (error: unknown) => error,
  );
  try {
    for await (const chunk of transform) yield chunk as Buffer;
  } catch (error) {
    throw gzipError(error, sourceName);
  } finally {
    transform.destroy();
  }
  const failure = await feeding;
  if (failure !== undefined) throw gzipError(failure, sourceName);
}

/** zlib's errors as ERR_COMPRESSION_TRUNCATED / ERR_COMPRESSION_CORRUPT; others unchanged. */
export function gzipError(error: unknown, sourceName: string): unknown {
  if (isRockletError(error)) return error;
  const code = errnoCode(error);
  if (code === 'Z_BUF_ERROR') {
    return invalidArgument('ERR_COMPRESSION_TRUNCATED', `gzip data of ${sourceName} ends early: the file is truncated`, { cause: error });
  }
  if (code !== undefined && code.startsWith('Z_')) {
    return invalidArgument('ERR_COMPRESSION_CORRUPT', `gzip data of ${sourceName} is corrupt: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

const TRUNCATED_HINTS = /unexpected end|ends unexpectedly|truncated|premature end/i;

async function* throughCommand(command: 'bzip2' | 'xz' | 'zstd', input: AsyncIterable<Buffer>, sourceName: string): AsyncGenerator<Buffer> {
  const child = spawn(command, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let spawnError: unknown;
  child.on('error', (error) => {
    spawnError = error;
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  // Not events.once: it rejects on 'error', which could go unhandled while stdout is read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code: number | null) => resolve(code)));
  // EPIPE here only means the child stopped reading; its exit status tells why.
  const feeding = pipeline(Readable.from(input), child.stdin).then(
    () => undefined,
    (error: unknown) => error,
  );
  let drained = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    drained = true;
  } finally {
    // Kill only a child we abandon (the consumer stopped early or failed). After a full drain,
    // stdout's EOF routinely arrives before the exit status: killing then would turn a
    // successful decompression into "exited with status null".
    if (!drained && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const code = await exited;
  const fed = await feeding;
  if (spawnError !== undefined) throw missingTool(command, sourceName, spawnError);
  if (code !== 0) {
    const detail = stderr.trim().split('\n').pop() ?? '';
    const truncated = TRUNCATED_HINTS.test(stderr);
    throw invalidArgument(
      truncated ? 'ERR_COMPRESSION_TRUNCATED' : 'ERR_COMPRESSION_CORRUPT',
      truncated
        ? `${command} data of ${sourceName} ends early: the file is truncated (${detail})`
        : `${command} data of ${sourceName} is corrupt: ${detail === '' ? `${command} exited with status ${String(code)}` : detail}`,
    );
  }
  if (fed !== undefined && errnoCode(fed) !== 'EPIPE') throw fed instanceof Error ? fed : new Error('feeding the decompressor failed', { cause: fed });
}

function missingTool(command: string, sourceName: string, cause: unknown): RockletError {
  if (errnoCode(cause) === 'ENOENT') {
    return failedPrecondition('ERR_DECOMPRESSOR_MISSING', `${sourceName} is ${command}-compressed but the ${command} command is not installed`, {
      hint: `install ${command} (Debian package "${command === 'zstd' ? 'zstd' : command === 'xz' ? 'xz-utils' : 'bzip2'}") or use a gzip or uncompressed ACI`,
      cause,
    });
  }
  return failedPrecondition('ERR_DECOMPRESSOR_FAILED', `cannot run ${command} to decompress ${sourceName}`, { cause });
}
