/**
 * @module podfile/yaml-source — YAML text → one PodNode tree, with Kubernetes' YAML 1.1 scalar
 * rules (go-yaml v2, see yaml-options.ts): `yes`/`on`/`y` are booleans, `0644` is octal, while
 * timestamps and sexagesimal numbers stay strings (go-yaml hands them to JSON as strings).
 * Merge keys `<<` work as in go-yaml. Duplicate keys, non-string keys, unknown tags, more or
 * fewer than one non-empty document, alias bombs and deep nesting are errors (formats.md §4
 * #1–#6, #17, #23).
 */
import type { Alias, Document, Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';
import type { MapEntry, PodNode, Position } from './node.js';
import { PARSE_LIMITS, childPath, itemPath } from './node.js';
import { LineIndex } from './source-text.js';
import { parseYamlFast } from './yaml-fast.js';
import { yamlLib } from '../util/index.js';
import { YAML_OPTIONS } from './yaml-options.js';

// `yaml`'s node guards, through the lazily loaded package (yaml-lib.ts).
function isScalar(node: unknown): node is Scalar {
  return yamlLib().isScalar(node);
}
function isAlias(node: unknown): node is Alias {
  return yamlLib().isAlias(node);
}
function isSeq(node: unknown): node is YAMLSeq {
  return yamlLib().isSeq(node);
}
function isMap(node: unknown): node is YAMLMap {
  return yamlLib().isMap(node);
}

interface Walk {
  readonly doc: Document.Parsed;
  readonly lines: LineIndex;
  readonly sink: DiagnosticSink;
  aliases: number;
  nodes: number;
  failed: boolean;
}

function positionOf(walk: Walk, node: YamlNode | null | undefined): Position {
  return walk.lines.at(node?.range?.[0] ?? 0);
}

function fail(walk: Walk, at: Position, path: string, message: string): undefined {
  walk.failed = true;
  walk.sink.error(at, path, message);
  return undefined;
}

function syntaxMessage(code: string, message: string): string {
  if (code === 'TAB_AS_INDENT') return 'yaml: tabs are not allowed for indentation';
  if (/call stack/i.test(message)) return `yaml: nesting is too deep (the limit is ${PARSE_LIMITS.maxDepth} levels)`;
  const text = message.replace(/ at line \d+, column \d+.*$/s, '');
  return `yaml syntax error: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

function excerpt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  return line === '' ? '' : ` (near ${JSON.stringify(line.length > 40 ? `${line.slice(0, 37)}...` : line)})`;
}

function convertScalar(walk: Walk, node: YamlNode, path: string): PodNode | undefined {
  if (!isScalar(node)) return undefined;
  const value: unknown = node.value;
  const at = positionOf(walk, node);
  const source = node.source ?? String(value);
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return { kind: 'scalar', value, source, pos: at };
  }
  if (typeof value === 'bigint') {
    const small = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
    return { kind: 'scalar', value: small ? Number(value) : (value), source, pos: at };
  }
  return fail(walk, at, path, `unsupported YAML value${node.tag === undefined ? '' : ` with tag ${node.tag}`}`);
}

function convert(walk: Walk, input: YamlNode | null | undefined, path: string, depth: number): PodNode | undefined {
  if (walk.failed) return undefined;
  if (++walk.nodes > PARSE_LIMITS.maxNodes) {
    return fail(walk, positionOf(walk, input), path, `too many YAML nodes (more than ${PARSE_LIMITS.maxNodes}, counting alias expansions)`);
  }
  if (depth > PARSE_LIMITS.maxDepth) {
    return fail(walk, positionOf(walk, input), path, `nesting is too deep (the limit is ${PARSE_LIMITS.maxDepth} levels)`);
  }
  if (input === null || input === undefined) return { kind: 'scalar', value: null, source: '', pos: positionOf(walk, input) };
  if (isAlias(input)) {
    if (++walk.aliases > PARSE_LIMITS.maxAliases) {
      return fail(walk, positionOf(walk, input), path, `too many aliases (the limit is ${PARSE_LIMITS.maxAliases})`);
    }
    const target = input.resolve(walk.doc);
    if (target === undefined) return fail(walk, positionOf(walk, input), path, `unknown alias *${input.source}`);
    return convert(walk, target, path, depth + 1);
  }
  if (isSeq(input)) {
    const items: PodNode[] = [];
    for (const [index, item] of input.items.entries()) {
      const converted = convert(walk, item as YamlNode, itemPath(path, index), depth + 1);
      if (converted === undefined) return undefined;
      items.push(converted);
    }
    return { kind: 'seq', items, pos: positionOf(walk, input) };
  }
  if (isMap(input)) return convertMap(walk, input.items as Pair<YamlNode, YamlNode>[], positionOf(walk, input), path, depth);
  return convertScalar(walk, input as YamlNode, path);
}

function convertMap(walk: Walk, pairs: readonly Pair<YamlNode, YamlNode>[], pos: Position, path: string, depth: number): PodNode | undefined {
  const entries: MapEntry[] = [];
  const seen = new Map<string, Position>();
  const merges: PodNode[] = [];
  for (const pair of pairs) {
    const key = pair.key;
    const keyPos = positionOf(walk, key);
    if (isScalar(key) && typeof key.value === 'symbol') {
      const merged = convert(walk, pair.value, childPath(path, '<<'), depth + 1);
      if (merged === undefined) return undefined;
      merges.push(...(merged.kind === 'seq' ? merged.items : [merged]));
      continue;
    }
    if (!isScalar(key) || typeof key.value !== 'string') {
      const shown = isScalar(key) ? ` ${key.source ?? String(key.value)}` : '';
      return fail(walk, keyPos, path, `mapping key${shown} must be a string: quote it`);
    }
    const name = key.value;
    const first = seen.get(name);
    if (first !== undefined) {
      return fail(walk, keyPos, childPath(path, name), `duplicate key "${name}" (first at line ${first.line}); every key may appear once`);
    }
    seen.set(name, keyPos);
    const value = convert(walk, pair.value, childPath(path, name), depth + 1);
    if (value === undefined) return undefined;
    entries.push({ key: name, keyPos, value });
  }
  // go-yaml: explicit keys win over merged ones; among merged maps the first one wins.
  for (const source of merges) {
    if (source.kind !== 'map') return fail(walk, source.pos, childPath(path, '<<'), 'a merge key (<<) must refer to a map or a list of maps');
    for (const entry of source.entries) {
      if (seen.has(entry.key)) continue;
      seen.set(entry.key, entry.keyPos);
      entries.push(entry);
    }
  }
  return { kind: 'map', entries, pos };
}

function isEmptyDocument(doc: Document.Parsed): boolean {
  const contents = doc.contents;
  return contents === null || (isScalar(contents) && contents.value === null);
}

function documentKind(doc: Document.Parsed): string {
  const contents = doc.contents;
  if (isMap(contents)) {
    for (const field of ['kind', 'acKind']) {
      const value: unknown = contents.get(field);
      if (typeof value === 'string') return value;
    }
  }
  return 'a document without kind';
}

/**
 * Parses YAML text into the tree of its single non-empty document, or returns undefined after
 * recording every syntax error (or the structural one) in `sink`. Files of the plain shape take
 * the fast path (yaml-fast.ts), which yields the same tree; the rest, and every error, are the
 * full reader's.
 */
export function parseYamlSource(text: string, sink: DiagnosticSink): PodNode | undefined {
  return parseYamlFast(text) ?? parseYamlFull(text, sink);
}

/** {@link parseYamlSource} without the fast path: `yaml`'s Document, converted. */
export function parseYamlFull(text: string, sink: DiagnosticSink): PodNode | undefined {
  const roots = parseYamlFullDocuments(text, sink, false);
  return roots?.[0];
}

/**
 * Every non-empty document of a YAML stream (a Pod with ConfigMaps and Secrets beside it, as
 * `podman kube play` reads them), or undefined after recording the problems. `multi: false`
 * refuses a second document.
 */
export function parseYamlDocuments(text: string, sink: DiagnosticSink): PodNode[] | undefined {
  const single = parseYamlFast(text);
  return single === undefined ? parseYamlFullDocuments(text, sink, true) : [single];
}

function parseYamlFullDocuments(text: string, sink: DiagnosticSink, multi: boolean): PodNode[] | undefined {
  const lines = new LineIndex(text);
  const docs = yamlLib().parseAllDocuments(text, YAML_OPTIONS);
  let failed = false;
  for (const doc of docs) {
    for (const problem of [...doc.errors, ...doc.warnings]) {
      failed = true;
      const offset = problem.pos[0];
      const excerptText = problem.code === 'TAB_AS_INDENT' ? '' : excerpt(text, offset);
      sink.error(lines.at(offset), '', `${syntaxMessage(problem.code, problem.message)}${excerptText}`);
    }
  }
  if (failed) return undefined;
  const nonEmpty = docs.filter((doc) => !isEmptyDocument(doc));
  if (nonEmpty.length === 0) {
    sink.error({ line: 1, column: 1 }, '', 'no document: the file holds only comments, whitespace or "---"');
    return undefined;
  }
  const [, second] = nonEmpty;
  if (!multi && second !== undefined) {
    const kinds = nonEmpty.map(documentKind).join(', ');
    sink.error(lines.at(second.contents?.range?.[0] ?? second.range[0]), '', `one document per file: found ${nonEmpty.length} (${kinds}); split them into separate files`);
    return undefined;
  }
  const roots: PodNode[] = [];
  for (const doc of nonEmpty) {
    const walk: Walk = { doc, lines, sink, aliases: 0, nodes: 0, failed: false };
    const root = convert(walk, doc.contents, '', 0);
    if (root === undefined) return undefined;
    roots.push(root);
  }
  return roots;
}
