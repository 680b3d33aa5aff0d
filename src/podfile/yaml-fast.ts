/**
 * @module podfile/yaml-fast — a fast path from YAML text to a PodNode tree for the plain shape
 * nearly every pod file has: block maps and sequences, single-line plain and quoted scalars,
 * block scalars (`|`, `>-` …), one-line flow collections (`[a, "b"]`, `{k: v}`), comments.
 *
 * Why: `yaml`'s Parser and Composer build a CST and a Document we only convert again, and cost
 * about two thirds of parsing a pod file (the Parser alone reads `process.env` per token). This
 * builds the tree straight from `yaml`'s Lexer tokens, and resolves scalars with `yaml`'s own
 * functions (`CST.resolveAsScalar`, and the tags of the schema the full reader uses).
 *
 * Contract: it returns a tree only when it is sure the full reader (yaml-source.ts) would
 * return the same tree without a diagnostic; for anything else (errors, duplicate keys,
 * anchors, aliases, tags, merge keys, directives, `---` after content, multi-line plain or
 * quoted scalars, flow collections over several lines, tabs, CR, odd indentation, limits) it
 * returns undefined and the full reader decides, so every message stays the full reader's.
 * test/podfile/yaml-fast.test.ts holds the two to that, over fixtures and mutated text.
 */
import type { CST } from 'yaml';
import type { MapEntry, PodNode, Position, ScalarNode } from './node.js';
import { PARSE_LIMITS } from './node.js';
import { SeenKeys, UNSUPPORTED, blockScalarValue, plainKey, plainValue, quotedValue, unsupported } from './yaml-fast-scalars.js';
import { yamlLib } from '../util/index.js';

// Lexer control tokens (yaml's parse/cst.ts): they stand for no text.
const DOCUMENT = '\x02';
const SCALAR = '\x1f';

/** Characters that send the whole file to the full reader. */
const UNSUPPORTED_TEXT = /[\t\r\x02\x18\x1f\ufeff]/;
const BLOCK_HEADER = /^[|>][-+]?$/;
/** Longest key we take; the composer refuses implicit keys over 1024 characters. */
const MAX_KEY_LENGTH = 1000;

class FastReader {
  readonly #tokens: string[];
  #at = 0;
  /** Text offset of the token at #at. */
  #offset = 0;
  #line = 1;
  #lineStart = 0;
  /** Indentation of the line whose first content token is at #at; -1 at the end. */
  #indent = 0;
  #atContent = false;
  #nodes = 0;
  #documents = 0;

  constructor(tokens: string[]) {
    this.#tokens = tokens;
  }

  document(): PodNode {
    const indent = this.#toContent();
    if (indent < 0 || !this.#atKey()) unsupported(); // only a block map is a pod file; the full reader explains the rest
    const root = this.#map(indent, 0);
    if (this.#toContent() !== -1) unsupported();
    return root;
  }

  #peek(ahead = 0): string | undefined {
    return this.#tokens[this.#at + ahead];
  }

  #take(): string {
    const token = this.#tokens[this.#at++] ?? unsupported();
    if (token === '\n') {
      this.#line++;
      this.#lineStart = this.#offset + 1;
    } else if (token === DOCUMENT || token === SCALAR) return token;
    this.#offset += token.length;
    return token;
  }

  #pos(offset = this.#offset): Position {
    return { line: this.#line, column: offset - this.#lineStart + 1 };
  }

  #count(depth: number): void {
    if (++this.#nodes > PARSE_LIMITS.maxNodes || depth >= PARSE_LIMITS.maxDepth) unsupported();
  }

  /** Skips blank and comment lines; returns the indentation of the next content line, or -1 at the end. */
  #toContent(): number {
    if (this.#atContent) return this.#indent;
    let indent = 0;
    for (;;) {
      const token = this.#peek();
      if (token === undefined) {
        indent = -1;
        break;
      }
      if (token === '\n') indent = 0;
      else if (token === DOCUMENT) {
        if (++this.#documents > 1 || this.#offset !== this.#lineStart) unsupported();
      } else if (token === '---') {
        // a document start before any content, followed by nothing but a comment
        if (this.#nodes > 0 || this.#offset !== this.#lineStart) unsupported();
        this.#take();
        this.#lineEnd();
        indent = 0;
        continue;
      } else if (token.startsWith(' ')) indent = token.length;
      else if (!token.startsWith('#')) break;
      this.#take();
    }
    this.#atContent = true;
    this.#indent = indent;
    return indent;
  }

  #leaveContent(): void {
    this.#atContent = false;
  }

  /** After a value on its line: spaces, a comment after a space, then a newline or the end. */
  #lineEnd(spaced = false): void {
    if (this.#peek()?.startsWith(' ') === true) {
      this.#take();
      spaced = true;
    }
    const token = this.#peek();
    if (token?.startsWith('#') === true) {
      if (!spaced) unsupported();
      this.#take();
    }
    const end = this.#peek();
    if (end === '\n') this.#take();
    else if (end !== undefined) unsupported();
  }

  /** True when the next tokens are a one-line key (plain or quoted) and `:`. */
  #atKey(): boolean {
    let ahead = 0;
    const first = this.#peek();
    if (first === SCALAR) ahead = 2;
    else if (first?.startsWith('"') === true || first?.startsWith("'") === true) ahead = 1;
    else return false;
    if (this.#peek(ahead)?.startsWith(' ') === true) ahead++;
    return this.#peek(ahead) === ':';
  }

  #map(indent: number, depth: number): PodNode {
    this.#count(depth);
    const pos = this.#pos();
    const entries: MapEntry[] = [];
    const seen = new SeenKeys();
    for (;;) {
      this.#leaveContent();
      const keyPos = this.#pos();
      const key = this.#keyAndColon(seen);
      const spaced = this.#peek()?.startsWith(' ') === true;
      if (spaced) this.#take();
      const next = this.#peek();
      let value: PodNode;
      if (next === undefined || next === '\n' || next.startsWith('#')) {
        const emptyPos = this.#pos(); // the composer puts an empty value after the spaces
        this.#lineEnd(spaced);
        const below = this.#toContent();
        if (below > indent) value = this.#block(below, depth + 1);
        else if (below === indent && this.#peek() === '-') value = this.#seq(indent, depth + 1);
        else {
          this.#count(depth + 1);
          value = { kind: 'scalar', value: null, source: '', pos: emptyPos };
        }
      } else value = this.#inline(indent, depth + 1);
      entries.push({ key, keyPos, value });
      const following = this.#toContent();
      if (following < indent) return { kind: 'map', entries, pos };
      if (following !== indent || !this.#atKey()) unsupported();
    }
  }

  /** A new key, optional spaces and the `:` (not its following spaces). */
  #keyAndColon(seen: SeenKeys): string {
    const keyOffset = this.#offset;
    const key = this.#key();
    if (!seen.add(key)) unsupported();
    if (this.#peek()?.startsWith(' ') === true) this.#take();
    if (this.#take() !== ':' || this.#offset - keyOffset > MAX_KEY_LENGTH) unsupported();
    return key;
  }

  #key(): string {
    const token = this.#take();
    return token === SCALAR ? plainKey(this.#take()) : quotedValue(token, this.#offset - token.length);
  }

  #seq(indent: number, depth: number): PodNode {
    this.#count(depth);
    const pos = this.#pos();
    const items: PodNode[] = [];
    for (;;) {
      this.#leaveContent();
      if (this.#take() !== '-') unsupported();
      const spaces = this.#peek()?.startsWith(' ') === true ? this.#take().length : 0;
      const next = this.#peek();
      if (next === undefined || next === '\n' || next.startsWith('#')) {
        this.#lineEnd(spaces > 0);
        const below = this.#toContent();
        if (below <= indent) unsupported(); // an empty item
        items.push(this.#block(below, depth + 1));
      } else if (spaces === 0) unsupported();
      else if (this.#atKey()) items.push(this.#map(indent + 1 + spaces, depth + 1));
      else items.push(this.#inline(indent + 1 + spaces, depth + 1));
      const following = this.#toContent();
      if (following < indent || (following === indent && this.#peek() !== '-')) return { kind: 'seq', items, pos };
      if (following !== indent) unsupported();
    }
  }

  /** A map or sequence starting a line indented by `indent`. */
  #block(indent: number, depth: number): PodNode {
    if (this.#peek() === '-') return this.#seq(indent, depth);
    if (this.#atKey()) return this.#map(indent, depth);
    return unsupported();
  }

  /** A value on the line of its key or `-`; `indent` is the parser's indentation there. */
  #inline(indent: number, depth: number): PodNode {
    this.#count(depth);
    const token = this.#peek() ?? unsupported();
    if (BLOCK_HEADER.test(token)) return this.#blockScalar(indent);
    const node = token === '[' || token === '{' ? this.#flow(depth) : this.#scalar();
    this.#lineEnd();
    return node;
  }

  /** A one-line plain or quoted scalar. */
  #scalar(): ScalarNode {
    const pos = this.#pos();
    const token = this.#take();
    if (token === SCALAR) {
      const source = this.#take();
      return { kind: 'scalar', value: plainValue(source), source, pos };
    }
    const value = quotedValue(token, this.#offset - token.length);
    return { kind: 'scalar', value, source: value, pos };
  }

  /** A one-line flow collection (`[a, "b"]`, `{k: v}`, nested), no trailing comma; the caller counted it. */
  #flow(depth: number): PodNode {
    const pos = this.#pos();
    const open = this.#take();
    const close = open === '[' ? ']' : '}';
    const items: PodNode[] = [];
    const entries: MapEntry[] = [];
    const seen = new SeenKeys();
    if (this.#peek()?.startsWith(' ') === true) this.#take();
    if (this.#peek() === close) {
      this.#take();
      return open === '[' ? { kind: 'seq', items, pos } : { kind: 'map', entries, pos };
    }
    for (;;) {
      if (open === '[') items.push(this.#flowItem(depth + 1));
      else {
        const keyPos = this.#pos();
        const key = this.#keyAndColon(seen);
        if (this.#peek()?.startsWith(' ') !== true) unsupported(); // `{a:}` and `{"a":b}` are rare; the full reader takes them
        this.#take();
        entries.push({ key, keyPos, value: this.#flowItem(depth + 1) });
      }
      if (this.#peek()?.startsWith(' ') === true) this.#take();
      const separator = this.#take();
      if (separator === close) return open === '[' ? { kind: 'seq', items, pos } : { kind: 'map', entries, pos };
      if (separator !== ',') unsupported();
      if (this.#peek()?.startsWith(' ') === true) this.#take();
    }
  }

  #flowItem(depth: number): PodNode {
    this.#count(depth);
    const token = this.#peek();
    if (token === '[' || token === '{') return this.#flow(depth);
    if (token !== SCALAR && token?.startsWith('"') !== true && token?.startsWith("'") !== true) unsupported();
    return this.#scalar();
  }

  /** `|` or `>` with an optional chomping indicator; the lexer hands over the content as one token. */
  #blockScalar(indent: number): ScalarNode {
    const pos = this.#pos();
    const offset = this.#offset;
    const props: CST.SourceToken[] = [{ type: 'block-scalar-header', offset, indent, source: this.#take() }];
    if (this.#peek()?.startsWith(' ') === true) props.push({ type: 'space', offset: this.#offset, indent, source: this.#take() });
    if (this.#peek()?.startsWith('#') === true) {
      if (props.length === 1) unsupported();
      props.push({ type: 'comment', offset: this.#offset, indent, source: this.#take() });
    }
    if (this.#peek() !== '\n') unsupported();
    props.push({ type: 'newline', offset: this.#offset, indent, source: this.#take() });
    if (this.#take() !== SCALAR) unsupported();
    // Taken by hand: the content may be exactly "\n", which #take would count as a newline token.
    const source = this.#tokens[this.#at++] ?? unsupported();
    this.#offset += source.length;
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) {
      this.#line++;
      this.#lineStart = this.#offset - source.length + i + 1;
    }
    const value = blockScalarValue({ type: 'block-scalar', offset, indent, props, source });
    return { kind: 'scalar', value, source: value, pos };
  }
}

/**
 * The tree of `text` when it is a pod file of the plain shape (see the module header), or
 * undefined to let the full reader decide. Never records diagnostics.
 */
export function parseYamlFast(text: string): PodNode | undefined {
  if (UNSUPPORTED_TEXT.test(text)) return undefined;
  try {
    const tokens = [...new (yamlLib().Lexer)().lex(text)];
    return new FastReader(tokens).document();
  } catch (error) {
    if (error === UNSUPPORTED) return undefined;
    throw error;
  }
}
