/**
 * A seeded mutation fuzzer: 200 mutated versions of the valid fixtures (keys renamed, removed
 * or added; values retyped or replaced; text cut, tabbed, aliased) must never crash or hang
 * the parser, and every rejection must carry a message with a place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { parsePodFile } from '../../src/podfile/index.js';
import { FIXTURES, filesIn } from './helpers.js';
import { mulberry32 } from '../harness/index.js';

const SEED = 0x5eed_2024;
const MUTANTS = 200;


type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const WEIRD_VALUES: Json[] = [
  null, true, false, 0, -1, 1.5, 65536, 2 ** 53 + 2, '', ' ', 'yes', '0644', '1Gi', '-1', '$(X)', 'Ünïcödé', 'a'.repeat(300),
  '../..', '/', 'ALL', {}, [], [null], { a: { b: { c: [] } } }, ['x', 1, true],
];
const WEIRD_KEYS = ['Image', 'imagePullpolicy', 'volumeMount', 'hostPID', 'envFrom', 'status', 'nodeName', '<<', 'acKind', 'x-extra', ''];

function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((item, i) => paths(item, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function mutateTree(root: Json, random: () => number): Json {
  const copy = structuredClone(root);
  const all = paths(copy).filter((p) => p.length > 0);
  const target = all[Math.floor(random() * all.length)] ?? [];
  const parent = target.slice(0, -1).reduce<Json>((node, key) => (node as Record<string | number, Json>)[key] ?? null, copy);
  const key = target[target.length - 1] ?? '';
  if (parent === null || typeof parent !== 'object') return copy;
  const holder = parent as Record<string | number, Json>;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  switch (Math.floor(random() * 6)) {
    case 0: // replace a value
      holder[key] = structuredClone(pick(WEIRD_VALUES));
      break;
    case 1: // delete a key or item
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete holder[key];
      break;
    case 2: // rename a key (typo)
      if (!Array.isArray(parent) && typeof key === 'string' && key.length > 1) {
        const value = holder[key] ?? null;
        delete holder[key];
        const i = Math.floor(random() * key.length);
        holder[random() < 0.5 ? key.slice(0, i) + key.slice(i + 1) : key.toUpperCase()] = value;
      }
      break;
    case 3: // add an unknown or dangerous key
      if (!Array.isArray(parent)) holder[pick(WEIRD_KEYS)] = structuredClone(pick(WEIRD_VALUES));
      break;
    case 4: // retype: wrap in a list, stringify, or turn a list into a map
      holder[key] = pick<Json>([[holder[key] ?? null], JSON.stringify(holder[key] ?? null), { value: holder[key] ?? null }]);
      break;
    default: // duplicate an item in a list
      if (Array.isArray(parent)) parent.push(structuredClone(parent[Number(key)] ?? null));
  }
  return copy;
}

function mutateText(text: string, random: () => number): string {
  const at = Math.floor(random() * text.length);
  switch (Math.floor(random() * 6)) {
    case 0:
      return text.slice(0, at); // truncated write
    case 1:
      return `${text.slice(0, at)}\t${text.slice(at)}`;
    case 2:
      return `${text.slice(0, at)}${text.slice(at + 1 + Math.floor(random() * 20))}`;
    case 3:
      return `${text.slice(0, at)} *anchor ${text.slice(at)}`;
    case 4:
      return `${text}---\n${text}`;
    default:
      return `${text.slice(0, at)}"{[:,&!%@\`${text.slice(at)}`;
  }
}

describe('mutation fuzzer', () => {
  it(`${MUTANTS} mutated valid files never crash the parser and every rejection says why (seed ${SEED.toString(16)})`, { timeout: 120_000 }, () => {
    const random = mulberry32(SEED);
    const sources = [...filesIn(`${FIXTURES}valid`), ...filesIn(`${FIXTURES}appc`)];
    let rejected = 0;
    for (let i = 0; i < MUTANTS; i++) {
      const [name, text] = sources[i % sources.length] ?? ['', ''];
      const json = name.endsWith('.json');
      let mutated: string;
      if (random() < 0.7) {
        let tree = parseYaml(text) as Json;
        const rounds = 1 + Math.floor(random() * 3);
        for (let r = 0; r < rounds; r++) tree = mutateTree(tree, random);
        mutated = json ? JSON.stringify(tree, null, 2) : stringify(tree, { version: '1.1' });
      } else {
        mutated = mutateText(text, random);
      }
      let result: ReturnType<typeof parsePodFile> | undefined;
      assert.doesNotThrow(() => {
        result = parsePodFile(mutated, `mutant-${i}.${json ? 'json' : 'yaml'}`, { nodeName: 'node-1' });
      }, `mutant ${i} of ${name} crashed the parser:\n${mutated}`);
      if (result === undefined) continue;
      if (result.ok) {
        assert.match(result.hash, /^sha256:[0-9a-f]{64}$/);
        assert.deepEqual(JSON.parse(JSON.stringify(result.spec)), result.spec);
        continue;
      }
      rejected++;
      assert.ok(result.errors.length > 0);
      for (const error of result.errors) {
        assert.ok(error.message.trim().length > 0, `mutant ${i}: empty message`);
        assert.ok(error.line >= 0 && error.column >= 0);
        assert.equal(typeof error.path, 'string');
      }
    }
    assert.ok(rejected > MUTANTS / 2, `most mutants should be rejected, got ${rejected}`);
  });
});
