/**
 * @module podfile/source-text — from a file's bytes to text we are willing to parse: at most
 * 1 MiB, UTF-8 only (a UTF-8 BOM is stripped; UTF-16/32, invalid sequences and NUL bytes are
 * refused with their byte offset), not empty (formats.md §4 #4, #23, #26). Also the
 * offset → line:column index both parsers use.
 */
import type { DiagnosticSink } from './diagnostics.js';
import { FILE_START } from './diagnostics.js';
import type { Position } from './node.js';
import { PARSE_LIMITS } from './node.js';

/** Maps string offsets to 1-based line:column. */
export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#starts.push(i + 1);
  }

  at(offset: number): Position {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.#starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.#starts[low] ?? 0) + 1 };
  }
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of a pod file, or undefined after recording why it cannot be parsed. Strings are
 * taken as already decoded (tests, stdin) but get the same BOM, NUL and size checks.
 */
export function decodePodFileText(input: Uint8Array | string, sink: DiagnosticSink): string | undefined {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  if (bytes.length > PARSE_LIMITS.maxBytes) {
    sink.error(FILE_START, '', `file is too large: ${bytes.length} bytes (the limit is ${PARSE_LIMITS.maxBytes} bytes, 1 MiB)`);
    return undefined;
  }
  if (bytes.length === 0) {
    sink.error(FILE_START, '', 'empty file: expected a Kubernetes Pod or an appc PodManifest');
    return undefined;
  }
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff]) || startsWith(bytes, [0, 0, 0xfe, 0xff])) {
    sink.error(FILE_START, '', 'file is UTF-16 or UTF-32 (it starts with a byte-order mark): save it as UTF-8');
    return undefined;
  }
  const body = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? bytes.subarray(3) : bytes;
  const bad = invalidUtf8Offset(body);
  if (bad !== -1) {
    const offset = bad + (body === bytes ? 0 : 3);
    const at = new LineIndex(decoder.decode(body.subarray(0, bad))).at(decoder.decode(body.subarray(0, bad)).length);
    sink.error(at, '', `invalid UTF-8 at byte offset ${offset} (byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')}): pod files must be UTF-8`);
    return undefined;
  }
  const text = decoder.decode(body);
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const byteOffset = new TextEncoder().encode(text.slice(0, nul)).length + (body === bytes ? 0 : 3);
    sink.error(new LineIndex(text).at(nul), '', `NUL byte at byte offset ${byteOffset}: pod files are text`);
    return undefined;
  }
  return text;
}
