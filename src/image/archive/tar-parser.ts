/**
 * @module tar-parser — a synchronous, incremental tar reader (ustar, GNU and pax headers) for
 * the one-pass import. Input arrives in chunks of any size; {@link TarParser.next} hands out
 * events that point into those chunks (no copies), so a caller can write file data straight
 * from its read buffer. It decodes headers exactly like tar-stream 3 (which aci-build and the
 * test fixtures write with, and which the store used before): same fields, same pax and GNU
 * long-name rules, zero blocks skipped, directories never carry data; a stream-based parser cost
 * a promise round trip per entry and per chunk, several times the work of the parsing itself.
 */
import type { Header } from 'tar-stream';

/** What the parser found next. `data` points into the chunk last pushed (valid until the next push). */
export type TarEvent =
  | { readonly kind: 'entry'; readonly header: Header; readonly offset: number }
  | { readonly kind: 'data'; readonly bytes: Buffer }
  | { readonly kind: 'entry-end' };

/** A malformed archive: `truncated` when the data simply ends early. */
export class TarFormatError extends Error {
  readonly truncated: boolean;

  constructor(message: string, truncated = false) {
    super(message);
    this.name = 'TarFormatError';
    this.truncated = truncated;
  }
}

const BLOCK = 512;
/** Pax and GNU long-name headers above this are refused (tar-stream's limit). */
const MAX_LONG_HEADER_BYTES = 4 * 1024 * 1024;
const EMPTY_CHECKSUM = 8 * 32;

const TYPES = new Map<number, Header['type'] | 'pax-header' | 'pax-global-header' | 'gnu-long-path' | 'gnu-long-link-path'>([
  [0, 'file'], [1, 'link'], [2, 'symlink'], [3, 'character-device'], [4, 'block-device'], [5, 'directory'], [6, 'fifo'],
  [7, 'contiguous-file'], [72, 'pax-header'], [55, 'pax-global-header'], [27, 'gnu-long-link-path'], [28, 'gnu-long-path'],
  [30, 'gnu-long-path'],
]);

type State = 'header' | 'data' | 'skip' | 'long';

function decodeString(block: Buffer, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end += 1;
  return block.toString('utf8', offset, end);
}

/** A numeric field: base-256 when the high bit is set, else octal (leading spaces/NULs allowed). */
function decodeNumber(block: Buffer, offset: number, length: number): number {
  const first = block[offset] ?? 0;
  if ((first & 0x80) !== 0) {
    if (first !== 0x80 && first !== 0xff) return Number.NaN;
    const positive = first === 0x80;
    let sum = 0;
    for (let index = offset + 1; index < offset + length; index += 1) {
      const byte = block[index] ?? 0;
      sum = sum * 256 + (positive ? byte : 0xff - byte);
    }
    return positive ? sum : -sum;
  }
  let start = offset;
  const limit = offset + length;
  while (start < limit && block[start] === 0x20) start += 1;
  let end = start;
  while (end < limit && block[end] !== 0x20) end += 1;
  while (start < end && block[start] === 0) start += 1;
  if (start === end) return 0;
  return Number.parseInt(block.toString('latin1', start, end), 8);
}

function checksum(block: Buffer): number {
  let sum = EMPTY_CHECKSUM;
  for (let index = 0; index < 148; index += 1) sum += block[index] ?? 0;
  for (let index = 156; index < BLOCK; index += 1) sum += block[index] ?? 0;
  return sum;
}

/** A raw header block as tar-stream decodes it, or undefined for a zero block. */
function decodeHeader(block: Buffer): { header: Header; kind: ReturnType<typeof TYPES.get> } | undefined {
  let typeflag = block[156] === 0 ? 0 : (block[156] ?? 0) - 48;
  let name = decodeString(block, 0, 100);
  const sum = checksum(block);
  if (sum === EMPTY_CHECKSUM) return undefined;
  if (sum !== decodeNumber(block, 148, 8)) throw new TarFormatError('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
  // ustar: "ustar\0" with any version; GNU: "ustar  \0" (no prefix field).
  if (block.toString('latin1', 257, 263) === 'ustar\u0000') {
    if (block[345] !== 0) name = `${decodeString(block, 345, 155)}/${name}`;
  } else if (block.toString('latin1', 257, 265) !== 'ustar  \u0000') {
    throw new TarFormatError('Invalid tar header: unknown format.');
  }
  if (typeflag === 0 && name.endsWith('/')) typeflag = 5;
  const kind = TYPES.get(typeflag);
  const header: Header = {
    name,
    mode: decodeNumber(block, 100, 8),
    uid: decodeNumber(block, 108, 8),
    gid: decodeNumber(block, 116, 8),
    size: decodeNumber(block, 124, 12),
    mtime: new Date(1000 * decodeNumber(block, 136, 12)),
    // tar-stream reports unknown typeflags as null at run time (its typings omit it); so do we.
    type: (kind ?? null) as Header['type'],
    linkname: block[157] === 0 ? '' : decodeString(block, 157, 100),
    uname: decodeString(block, 265, 32),
    gname: decodeString(block, 297, 32),
    devmajor: decodeNumber(block, 329, 8),
    devminor: decodeNumber(block, 337, 8),
    pax: null,
  };
  return { header, kind };
}

/** `len key=value\n` records, decoded as UTF-8; parsing stops at the first malformed record. */
function decodePax(buffer: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let rest = buffer;
  while (rest.length > 0) {
    let space = 0;
    while (space < rest.length && rest[space] !== 0x20) space += 1;
    const length = Number.parseInt(rest.toString('utf8', 0, space), 10);
    if (!length) return result;
    const record = rest.toString('utf8', space + 1, length - 1);
    const equals = record.indexOf('=');
    if (equals === -1) return result;
    result[record.slice(0, equals)] = record.slice(equals + 1);
    rest = rest.subarray(length);
  }
  return result;
}

function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** Push chunks with {@link push}, drain events with {@link next}, then call {@link end}. */
export class TarParser {
  #chunk: Buffer = Buffer.alloc(0);
  #position = 0;
  /** Stream offset of `#chunk[0]`. */
  #base = 0;
  #state: State = 'header';
  #missing = 0;
  #entryEndPending = false;
  /** Data size of the current entry (its padding follows the data). */
  #entrySize = 0;
  readonly #partial = Buffer.alloc(BLOCK);
  #partialLength = 0;
  #long: { kind: string; buffer: Buffer; filled: number } | undefined;
  #pax: Record<string, string> | undefined;
  #paxGlobal: Record<string, string> | undefined;
  #longPath: string | undefined;
  #longLinkPath: string | undefined;

  /** Bytes consumed so far (the stream offset of the next byte). */
  get offset(): number {
    return this.#base + this.#position;
  }

  /** Hand over the next chunk; the previous one must have been drained (next() returned undefined). */
  push(chunk: Buffer): void {
    this.#base += this.#chunk.length;
    this.#chunk = chunk;
    this.#position = 0;
  }

  /** The next event, or undefined when the current chunk is used up. */
  next(): TarEvent | undefined {
    for (;;) {
      if (this.#entryEndPending) {
        this.#entryEndPending = false;
        return { kind: 'entry-end' };
      }
      const available = this.#chunk.length - this.#position;
      switch (this.#state) {
        case 'data': {
          if (available === 0) return undefined;
          const take = Math.min(available, this.#missing);
          const bytes = this.#chunk.subarray(this.#position, this.#position + take);
          this.#position += take;
          this.#missing -= take;
          if (this.#missing === 0) this.#finishEntryData();
          return { kind: 'data', bytes };
        }
        case 'skip': {
          if (available === 0) return undefined;
          const take = Math.min(available, this.#missing);
          this.#position += take;
          this.#missing -= take;
          if (this.#missing === 0) this.#state = 'header';
          continue;
        }
        case 'long': {
          if (available === 0) return undefined;
          this.#fillLong(available);
          continue;
        }
        case 'header': {
          const block = this.#takeBlock(available);
          if (block === undefined) return undefined;
          const event = this.#onHeader(block, this.offset - BLOCK);
          if (event !== undefined) return event;
        }
      }
    }
  }

  /** The input ended: throws a truncation error unless it ended between entries. */
  end(): void {
    this.#base += this.#chunk.length;
    this.#chunk = Buffer.alloc(0);
    this.#position = 0;
    if (this.#state !== 'header' || this.#partialLength > 0 || this.#entryEndPending) {
      throw new TarFormatError('Unexpected end of data', true);
    }
  }

  #finishEntryData(): void {
    this.#entryEndPending = true;
    this.#missing = padding(this.#entrySize);
    this.#state = this.#missing === 0 ? 'header' : 'skip';
  }

  /** 512 bytes of header, from the chunk directly or assembled across chunks. */
  #takeBlock(available: number): Buffer | undefined {
    if (this.#partialLength === 0 && available >= BLOCK) {
      const block = this.#chunk.subarray(this.#position, this.#position + BLOCK);
      this.#position += BLOCK;
      return block;
    }
    const take = Math.min(available, BLOCK - this.#partialLength);
    this.#chunk.copy(this.#partial, this.#partialLength, this.#position, this.#position + take);
    this.#position += take;
    this.#partialLength += take;
    if (this.#partialLength < BLOCK) return undefined;
    this.#partialLength = 0;
    return this.#partial;
  }

  #onHeader(block: Buffer, offset: number): TarEvent | undefined {
    const decoded = decodeHeader(block);
    if (decoded === undefined) return undefined;
    const { header, kind } = decoded;
    if (kind === 'pax-header' || kind === 'pax-global-header' || kind === 'gnu-long-path' || kind === 'gnu-long-link-path') {
      if (header.size > MAX_LONG_HEADER_BYTES) throw new TarFormatError('Header exceeds max size');
      if (!(header.size >= 0)) throw new TarFormatError('Invalid header');
      // An empty long header says nothing (tar-stream ignores it too).
      if (header.size === 0) return undefined;
      this.#long = { kind, buffer: Buffer.alloc(header.size), filled: 0 };
      this.#state = 'long';
      return undefined;
    }
    this.#applyLongHeaders(header);
    if (!(header.size >= 0)) throw new TarFormatError('Invalid header');
    this.#entrySize = header.size;
    if (header.size === 0 || header.type === 'directory') {
      this.#entryEndPending = true;
      this.#state = 'header';
    } else {
      this.#missing = header.size;
      this.#state = 'data';
    }
    return { kind: 'entry', header, offset };
  }

  #fillLong(available: number): void {
    const long = this.#long;
    if (long === undefined) throw new Error('tar parser: no long header in progress');
    const take = Math.min(available, long.buffer.length - long.filled);
    this.#chunk.copy(long.buffer, long.filled, this.#position, this.#position + take);
    this.#position += take;
    long.filled += take;
    if (long.filled < long.buffer.length) return;
    this.#long = undefined;
    switch (long.kind) {
      case 'gnu-long-path':
        this.#longPath = decodeString(long.buffer, 0, long.buffer.length);
        break;
      case 'gnu-long-link-path':
        this.#longLinkPath = decodeString(long.buffer, 0, long.buffer.length);
        break;
      case 'pax-global-header':
        this.#paxGlobal = decodePax(long.buffer);
        break;
      default:
        this.#pax = { ...this.#paxGlobal, ...decodePax(long.buffer) };
    }
    this.#missing = padding(long.buffer.length);
    this.#state = this.#missing === 0 ? 'header' : 'skip';
  }

  #applyLongHeaders(header: Header): void {
    if (this.#longPath) header.name = this.#longPath;
    if (this.#longLinkPath) header.linkname = this.#longLinkPath;
    this.#longPath = undefined;
    this.#longLinkPath = undefined;
    const pax = this.#pax;
    if (pax === undefined) return;
    if (pax.path) header.name = pax.path;
    if (pax.linkpath) header.linkname = pax.linkpath;
    if (pax.size) header.size = Number.parseInt(pax.size, 10);
    header.pax = pax;
    this.#pax = undefined;
  }
}
