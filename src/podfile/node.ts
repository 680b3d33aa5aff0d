/**
 * @module podfile/node — the syntax tree both parsers (YAML and strict JSON) produce: maps,
 * sequences and scalars with their line:column, so every later check can point at the text.
 *
 * Invariants: map keys are strings and unique (the parsers reject the rest); an alias is
 * replaced by the node it names, so a tree may share nodes but never has cycles; integers
 * outside the safe range are bigints so no precision is lost silently.
 */

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column (UTF-16 code units). */
  readonly column: number;
}

export type ScalarValue = string | number | bigint | boolean | null;

export interface ScalarNode {
  readonly kind: 'scalar';
  readonly value: ScalarValue;
  /** The text as written (without quotes), for messages such as `got a boolean (yes)`. */
  readonly source: string;
  readonly pos: Position;
}

export interface MapEntry {
  readonly key: string;
  readonly keyPos: Position;
  readonly value: PodNode;
}

export interface MapNode {
  readonly kind: 'map';
  readonly entries: readonly MapEntry[];
  readonly pos: Position;
}

export interface SeqNode {
  readonly kind: 'seq';
  readonly items: readonly PodNode[];
  readonly pos: Position;
}

export type PodNode = ScalarNode | MapNode | SeqNode;

/** Parser limits shared by the YAML and JSON readers (formats.md §4 #23). */
export const PARSE_LIMITS = {
  /** Largest pod file accepted, in bytes. */
  maxBytes: 1024 * 1024,
  /** Alias references per document (billion-laughs guard). */
  maxAliases: 100,
  /** Nodes after alias expansion. */
  maxNodes: 100_000,
  /** Nesting depth of maps and sequences. */
  maxDepth: 64,
} as const;

/** For messages: `a string ("80")`, `a boolean (yes)`, `a map`, `null`. */
export function describeNode(node: PodNode): string {
  switch (node.kind) {
    case 'map':
      return 'a map';
    case 'seq':
      return 'a list';
    case 'scalar':
      return describeScalar(node);
  }
}

function describeScalar(node: ScalarNode): string {
  const value = node.value;
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)})`;
  if (typeof value === 'boolean') return `a boolean (${node.source})`;
  return `a number (${node.source})`;
}

/** The value of a scalar as plain JSON (bigints become numbers, losing precision — only for hashing unknown content). */
export function toPlain(node: PodNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return typeof node.value === 'bigint' ? Number(node.value) : node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map': {
      const result: Record<string, unknown> = {};
      for (const entry of node.entries) result[entry.key] = toPlain(entry.value);
      return result;
    }
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `parent.key`, or `parent["odd/key"]` when the key is not an identifier. */
export function childPath(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** `parent[index]`. */
export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
