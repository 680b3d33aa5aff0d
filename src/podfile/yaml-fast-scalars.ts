/**
 * @module podfile/yaml-fast-scalars — scalar values and keys for the YAML fast path, computed by `yaml`'s
 * own resolvers (`CST.resolveAsScalar`, the schema's tags) so they equal the full reader's.
 * Anything those would complain about, and the few token shapes where the lexer's view of a
 * quote is not the final one, throw {@link UNSUPPORTED}: the full reader then decides.
 */
import type { CST } from 'yaml';
import type { ScalarValue } from './node.js';
import { yamlLib } from '../util/index.js';
import { UNRESOLVED, resolvePlainScalar } from './yaml-options.js';

class FastPathUnsupported extends Error {}

/** Thrown (one shared instance, no stack to build) when the fast path gives up. */
export const UNSUPPORTED = new FastPathUnsupported('not on the YAML fast path');

export function unsupported(): never {
  throw UNSUPPORTED;
}

/** Plain scalars the composer refuses to start with these (resolve-flow-scalar.ts, plainValue). */
const BAD_PLAIN_START = /^[,%|>@`]/;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A one-line plain scalar's value; integers in the safe range as numbers (as the full reader's tree). */
export function plainValue(source: string): ScalarValue {
  if (source === '' || source.includes('\n') || BAD_PLAIN_START.test(source)) unsupported();
  const value = resolvePlainScalar(source);
  if (value === UNRESOLVED) unsupported();
  return typeof value === 'bigint' && value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

/** A one-line plain key; merge keys and keys that are not strings are the full reader's. */
export function plainKey(source: string): string {
  if (source === '<<') unsupported();
  const value = plainValue(source);
  return typeof value === 'string' ? value : unsupported();
}

/** A one-line quoted scalar token (with its quotes) at `offset`. */
export function quotedValue(token: string, offset: number): string {
  const quote = token[0];
  if ((quote !== '"' && quote !== "'") || token.length < 2 || !token.endsWith(quote) || token.includes('\n')) unsupported();
  const inner = token.slice(1, -1);
  if (quote === "'") {
    if (!inner.includes("'")) return inner;
    if (inner.replaceAll("''", '').includes("'")) unsupported(); // the closing quote is half of a pair
  } else {
    if (!inner.includes('\\')) return inner;
    if (/(?:^|[^\\])(?:\\\\)*\\$/.test(inner)) unsupported(); // the closing quote is escaped
  }
  const type = quote === '"' ? 'double-quoted-scalar' : 'single-quoted-scalar';
  return yamlLib().CST.resolveAsScalar({ type, offset, indent: 0, source: token }, true, unsupported).value;
}

/** A block scalar, as the parser would hand it to the composer (header and line end in `props`). */
export function blockScalarValue(scalar: CST.BlockScalar): string {
  return yamlLib().CST.resolveAsScalar(scalar, true, unsupported).value;
}

/** The keys of one map so far: scanned while few, hashed past 16 (a huge map must not go quadratic). */
export class SeenKeys {
  readonly #keys: string[] = [];
  #set: Set<string> | undefined;

  /** Adds `key`; false when it was there already. */
  add(key: string): boolean {
    if (this.#set === undefined && this.#keys.length >= 16) this.#set = new Set(this.#keys);
    if (this.#set === undefined ? this.#keys.includes(key) : this.#set.has(key)) return false;
    this.#keys.push(key);
    this.#set?.add(key);
    return true;
  }
}
