/**
 * @module podfile/reader — typed, position-aware reads over a PodNode tree. Every reader
 * records what is wrong (with the field path and the node's line:column) and returns
 * undefined instead of throwing, so one pass reports every problem of a file. No coercion:
 * `"80"` is not a number and `yes` is not a string (formats.md §4 #17).
 */
import type { DiagnosticSink } from './diagnostics.js';
import { didYouMean } from './diagnostics.js';
import type { MapEntry, MapNode, PodNode } from './node.js';
import { childPath, describeNode, itemPath } from './node.js';

/** What to do with a key that is not a plain accepted field. */
export type Verdict = { readonly error: string } | { readonly warning: string } | 'accept';
export type SpecialRule = (node: PodNode) => Verdict;

/** The keys an object accepts, and rules for keys that are refused or ignored with a warning. */
export interface ObjectShape {
  readonly fields: readonly string[];
  readonly special?: Readonly<Record<string, SpecialRule>>;
}

/** The accepted fields of one map. Null values (`key:` or `"key": null`) count as absent, as in Kubernetes. */
export class Fields {
  readonly node: MapNode;
  readonly path: string;
  readonly #entries: ReadonlyMap<string, MapEntry>;

  constructor(node: MapNode, path: string, entries: ReadonlyMap<string, MapEntry>) {
    this.node = node;
    this.path = path;
    this.#entries = entries;
  }

  get(key: string): PodNode | undefined {
    const value = this.#entries.get(key)?.value;
    return value?.kind === 'scalar' && value.value === null ? undefined : value;
  }

  /** The path of a field of this object. */
  at(key: string): string {
    return childPath(this.path, key);
  }
}

/** The map at `path`, or undefined after recording that it is something else. */
export function expectMap(sink: DiagnosticSink, node: PodNode, path: string): MapNode | undefined {
  if (node.kind === 'map') return node;
  sink.error(node.pos, path, `expected a map, got ${describeNode(node)}`);
  return undefined;
}

/**
 * Reads a map against its shape: unknown keys are errors with a "did you mean"; special keys
 * get their verdict (error, warning, or silently accepted).
 */
export function readObject(sink: DiagnosticSink, node: PodNode, path: string, shape: ObjectShape): Fields | undefined {
  const map = expectMap(sink, node, path);
  if (map === undefined) return undefined;
  const accepted = new Map<string, MapEntry>();
  const special = shape.special ?? {};
  for (const entry of map.entries) {
    const keyPath = childPath(path, entry.key);
    if (shape.fields.includes(entry.key)) {
      accepted.set(entry.key, entry);
      continue;
    }
    const rule = Object.hasOwn(special, entry.key) ? special[entry.key] : undefined;
    if (rule === undefined) {
      const known = [...shape.fields, ...Object.keys(special)];
      sink.error(entry.keyPos, keyPath, `unknown field "${entry.key}"${didYouMean(entry.key, known)}`);
      continue;
    }
    const verdict = rule(entry.value);
    if (verdict === 'accept') continue;
    if ('error' in verdict) sink.error(entry.keyPos, keyPath, verdict.error);
    else sink.warning(entry.keyPos, keyPath, verdict.warning);
  }
  return new Fields(map, path, accepted);
}

/** Records `required` at the parent object when a field is missing. */
export function required(sink: DiagnosticSink, fields: Fields, key: string, what = 'required'): PodNode | undefined {
  const node = fields.get(key);
  if (node === undefined) sink.error(fields.node.pos, fields.at(key), what === 'required' ? 'required field is missing' : what);
  return node;
}

function quoteHint(node: PodNode): string {
  return node.kind === 'scalar' && typeof node.value !== 'string' && node.value !== null
    ? `; quote it ("${node.source}") if you mean the text`
    : '';
}

/** A string; YAML booleans, numbers and null are refused with a hint to quote them. */
export function readString(sink: DiagnosticSink, node: PodNode, path: string): string | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
  sink.error(node.pos, path, `expected a string, got ${describeNode(node)}${quoteHint(node)}`);
  return undefined;
}

/** A non-blank string. */
export function readNonEmptyString(sink: DiagnosticSink, node: PodNode, path: string): string | undefined {
  const value = readString(sink, node, path);
  if (value !== undefined && value.trim() === '') {
    sink.error(node.pos, path, value === '' ? 'must not be empty' : 'must not be blank (only whitespace)');
    return undefined;
  }
  return value;
}

export function readBoolean(sink: DiagnosticSink, node: PodNode, path: string): boolean | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
  const hint = node.kind === 'scalar' && typeof node.value === 'string' && /^(true|false)$/i.test(node.value) ? '; remove the quotes' : '';
  sink.error(node.pos, path, `expected true or false, got ${describeNode(node)}${hint}`);
  return undefined;
}

export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

const FLOAT_LITERAL = /^[-+]?(\.|\d[\d_]*\.|\d[\d_]*[eE]|\.?(inf|nan)$)/i;

/** An integer within `range`; strings such as `"80"` are refused (no coercion). */
export function readInteger(sink: DiagnosticSink, node: PodNode, path: string, range: IntegerRange): number | undefined {
  if (node.kind === 'scalar' && (typeof node.value === 'number' || typeof node.value === 'bigint')) {
    const value = node.value;
    // `80.0` and `8e1` are floats even when whole: Go's JSON decoder refuses them for integer fields.
    if (typeof value === 'number' && (!Number.isInteger(value) || FLOAT_LITERAL.test(node.source))) {
      sink.error(node.pos, path, `expected an integer, got ${node.source}`);
      return undefined;
    }
    if (typeof value === 'bigint' || value < range.min || value > range.max) {
      sink.error(node.pos, path, `must be between ${range.min} and ${range.max}, got ${node.source}`);
      return undefined;
    }
    return value;
  }
  const hint = node.kind === 'scalar' && typeof node.value === 'string' && /^-?\d+$/.test(node.value) ? '; remove the quotes' : '';
  sink.error(node.pos, path, `expected an integer, got ${describeNode(node)}${hint}`);
  return undefined;
}

/** The items of a list of at most `max` items. */
export function readList(sink: DiagnosticSink, node: PodNode, path: string, max: number): readonly PodNode[] | undefined {
  if (node.kind !== 'seq') {
    sink.error(node.pos, path, `expected a list, got ${describeNode(node)}`);
    return undefined;
  }
  if (node.items.length > max) {
    sink.error(node.pos, path, `too many items: ${node.items.length} (the limit is ${max})`);
    return undefined;
  }
  return node.items;
}

/** A list of strings (each item checked), or undefined after recording problems. */
export function readStringList(sink: DiagnosticSink, node: PodNode, path: string, max: number): string[] | undefined {
  const items = readList(sink, node, path, max);
  if (items === undefined) return undefined;
  const before = sink.errorCount;
  const values = items.map((item, index) => readString(sink, item, itemPath(path, index)) ?? '');
  return sink.errorCount === before ? values : undefined;
}

/** The entries of a string → string map (keys with their positions). */
export function readStringMap(sink: DiagnosticSink, node: PodNode, path: string): { entry: MapEntry; value: string }[] | undefined {
  const map = expectMap(sink, node, path);
  if (map === undefined) return undefined;
  const before = sink.errorCount;
  const values = map.entries.map((entry) => ({ entry, value: readString(sink, entry.value, childPath(path, entry.key)) ?? '' }));
  return sink.errorCount === before ? values : undefined;
}

/** One of `choices`, exactly (case-sensitive), with a "did you mean". */
export function readEnum<T extends string>(sink: DiagnosticSink, node: PodNode, path: string, choices: readonly T[]): T | undefined {
  const value = readString(sink, node, path);
  if (value === undefined) return undefined;
  if ((choices as readonly string[]).includes(value)) return value as T;
  const shown = choices.map((choice) => (choice === '' ? '""' : choice)).join(', ');
  sink.error(node.pos, path, `"${value}" is not one of ${shown}${didYouMean(value, choices.filter((c) => c !== ''))}`);
  return undefined;
}

/** Verdict helpers for ObjectShape.special. */
export const verdicts = {
  error: (message: string): SpecialRule => () => ({ error: message }),
  warning: (message: string): SpecialRule => () => ({ warning: message }),
  /** Accepted silently when the value means the default (e.g. `hostPID: false`), else an error. */
  unless: (isHarmless: (node: PodNode) => boolean, message: string): SpecialRule => (node) =>
    isHarmless(node) ? 'accept' : { error: message },
  /** A warning when the value is harmless, else an error. */
  warnUnless: (isHarmless: (node: PodNode) => boolean, warning: string, error: string): SpecialRule => (node) =>
    isHarmless(node) ? { warning } : { error },
} as const;

/** True for a scalar equal to `value` (or null, which Kubernetes treats as absent). */
export function scalarIs(value: string | number | boolean): (node: PodNode) => boolean {
  return (node) => node.kind === 'scalar' && (node.value === value || node.value === null);
}
