/**
 * @module podfile/json-source — strict JSON (RFC 8259) → PodNode tree with line:column, used
 * when a file's first non-blank character is `{` (as Kubernetes' ToJSON shortcut does). No
 * comments, trailing commas, single quotes or trailing garbage; duplicate keys are errors
 * (formats.md §4 #33). Our own small parser because JSON.parse gives no positions and keeps
 * the last of duplicate keys.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { MapEntry, PodNode, Position } from './node.js';
import { PARSE_LIMITS, childPath, itemPath } from './node.js';
import { LineIndex } from './source-text.js';

class JsonSyntaxError extends Error {
  readonly offset: number;
  readonly path: string;

  constructor(offset: number, path: string, message: string) {
    super(message);
    this.offset = offset;
    this.path = path;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class JsonReader {
  readonly #text: string;
  readonly #lines: LineIndex;
  #at = 0;

  constructor(text: string, lines: LineIndex) {
    this.#text = text;
    this.#lines = lines;
  }

  document(): PodNode {
    const node = this.#value('', 0);
    this.#blank();
    if (this.#at < this.#text.length) this.#fail('', 'unexpected text after the JSON document');
    return node;
  }

  #fail(path: string, message: string, offset = this.#at): never {
    throw new JsonSyntaxError(offset, path, message);
  }

  #pos(offset = this.#at): Position {
    return this.#lines.at(offset);
  }

  #blank(): void {
    for (;;) {
      const c = this.#text[this.#at];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.#at++;
      else if (c === '/' && (this.#text[this.#at + 1] === '/' || this.#text[this.#at + 1] === '*')) this.#fail('', 'comments are not allowed in JSON');
      else return;
    }
  }

  #unexpected(path: string, expected: string): never {
    const c = this.#text[this.#at];
    this.#fail(path, c === undefined ? `unexpected end of file, expected ${expected}` : `unexpected ${JSON.stringify(c)}, expected ${expected}`);
  }

  #value(path: string, depth: number): PodNode {
    if (depth > PARSE_LIMITS.maxDepth) this.#fail(path, `nesting is too deep (the limit is ${PARSE_LIMITS.maxDepth} levels)`);
    this.#blank();
    const c = this.#text[this.#at];
    if (c === '{') return this.#object(path, depth);
    if (c === '[') return this.#array(path, depth);
    if (c === '"') {
      const pos = this.#pos();
      const start = this.#at;
      const value = this.#string(path);
      return { kind: 'scalar', value, source: this.#text.slice(start + 1, this.#at - 1), pos };
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.#text.startsWith(word, this.#at)) {
        const pos = this.#pos();
        this.#at += word.length;
        return { kind: 'scalar', value, source: word, pos };
      }
    }
    NUMBER.lastIndex = this.#at;
    const match = NUMBER.exec(this.#text);
    if (match === null) return this.#unexpected(path, 'a value');
    const pos = this.#pos();
    this.#at += match[0].length;
    const source = match[0];
    const integer = /^-?\d+$/.test(source);
    const value = integer && !Number.isSafeInteger(Number(source)) ? BigInt(source) : Number(source);
    return { kind: 'scalar', value, source, pos };
  }

  #string(path: string): string {
    this.#at++; // opening quote
    let result = '';
    for (;;) {
      const c = this.#text[this.#at];
      if (c === undefined) this.#fail(path, 'unterminated string');
      if (c === '"') {
        this.#at++;
        return result;
      }
      if (c < ' ') this.#fail(path, 'control characters must be escaped in JSON strings');
      if (c !== '\\') {
        result += c;
        this.#at++;
        continue;
      }
      const e = this.#text[this.#at + 1] ?? '';
      if (e === 'u') {
        const hex = this.#text.slice(this.#at + 2, this.#at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail(path, 'invalid \\u escape in string');
        result += String.fromCharCode(Number.parseInt(hex, 16));
        this.#at += 6;
        continue;
      }
      const replacement = ESCAPES[e];
      if (replacement === undefined) this.#fail(path, `invalid escape \\${e} in string`);
      result += replacement;
      this.#at += 2;
    }
  }

  #object(path: string, depth: number): PodNode {
    const pos = this.#pos();
    this.#at++;
    const entries: MapEntry[] = [];
    const seen = new Map<string, Position>();
    this.#blank();
    if (this.#text[this.#at] === '}') {
      this.#at++;
      return { kind: 'map', entries, pos };
    }
    for (;;) {
      this.#blank();
      if (this.#text[this.#at] !== '"') {
        if (this.#text[this.#at] === '}' && entries.length > 0) this.#fail(path, 'trailing comma before "}" is not allowed in JSON');
        this.#unexpected(path, 'a "quoted" key');
      }
      const keyOffset = this.#at;
      const keyPos = this.#pos();
      const key = this.#string(path);
      const first = seen.get(key);
      if (first !== undefined) {
        this.#fail(childPath(path, key), `duplicate key "${key}" (first at line ${first.line}); every key may appear once`, keyOffset);
      }
      seen.set(key, keyPos);
      this.#blank();
      if (this.#text[this.#at] !== ':') this.#unexpected(childPath(path, key), '":"');
      this.#at++;
      entries.push({ key, keyPos, value: this.#value(childPath(path, key), depth + 1) });
      this.#blank();
      const c = this.#text[this.#at];
      this.#at++;
      if (c === '}') return { kind: 'map', entries, pos };
      if (c !== ',') {
        this.#at--;
        this.#unexpected(path, '"," or "}"');
      }
    }
  }

  #array(path: string, depth: number): PodNode {
    const pos = this.#pos();
    this.#at++;
    const items: PodNode[] = [];
    this.#blank();
    if (this.#text[this.#at] === ']') {
      this.#at++;
      return { kind: 'seq', items, pos };
    }
    for (;;) {
      this.#blank();
      if (this.#text[this.#at] === ']') this.#fail(path, 'trailing comma before "]" is not allowed in JSON');
      items.push(this.#value(itemPath(path, items.length), depth + 1));
      this.#blank();
      const c = this.#text[this.#at];
      this.#at++;
      if (c === ']') return { kind: 'seq', items, pos };
      if (c !== ',') {
        this.#at--;
        this.#unexpected(path, '"," or "]"');
      }
    }
  }
}

/** Parses strict JSON into a PodNode tree, or returns undefined after recording the first syntax error. */
export function parseJsonSource(text: string, sink: DiagnosticSink): PodNode | undefined {
  const lines = new LineIndex(text);
  try {
    return new JsonReader(text, lines).document();
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const prefix = error.message.startsWith('duplicate key') ? '' : 'json: ';
    sink.error(lines.at(error.offset), error.path, `${prefix}${error.message}`);
    return undefined;
  }
}

/** True when the text is to be read as strict JSON: its first non-blank character is `{`. */
export function looksLikeJson(text: string): boolean {
  return /^[ \t\r\n]*\{/.test(text);
}
