/**
 * canonicalJson is written for speed (memoised key quoting, insertion sort); spec hashes are
 * stored, so its output must stay byte for byte what the plain definition gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../src/podfile/index.js';
import { mulberry32 } from '../harness/index.js';

/** The plain definition: sorted keys (Array#sort), no whitespace, undefined members left out. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? 'null' : reference(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${reference(record[key])}`);
  return `{${members.join(',')}}`;
}


const KEYS = ['a', 'B', 'b', 'Z', '_', '10', '9', '2', '', ' ', 'é', 'É', '\u{1F600}', '\ud800', 'quote"d', 'back\\slash', 'new\nline', 'name', 'image', 'env'];
const SCALARS: unknown[] = [null, true, false, 0, -0, 1.5, -1e21, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, '', 'x', 'é\u2028', '\ud800', undefined];

describe('canonicalJson', () => {
  it('gives the plain definition\'s output for 2000 random values, including wide objects and odd keys', () => {
    const random = mulberry32(0xca_0017);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const make = (depth: number): unknown => {
      const kind = random();
      if (depth > 4 || kind < 0.4) return pick(SCALARS);
      if (kind < 0.6) return Array.from({ length: Math.floor(random() * 5) }, () => make(depth + 1));
      const record: Record<string, unknown> = {};
      const width = depth < 2 && random() < 0.1 ? 40 + Math.floor(random() * 20) : Math.floor(random() * 8);
      for (let i = 0; i < width; i++) record[random() < 0.7 ? pick(KEYS) : `k${Math.floor(random() * 100)}`] = make(depth + 1);
      return record;
    };
    for (let i = 0; i < 2000; i++) {
      const value = make(0);
      assert.equal(canonicalJson(value), reference(value));
    }
  });
});
