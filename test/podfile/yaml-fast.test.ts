/**
 * The YAML fast path (src/podfile/yaml-fast.ts) against the full reader: whenever the fast path
 * returns a tree, the full reader must return the same tree (every position included) without a
 * diagnostic; everything else must go to the full reader, so messages stay the same. Checked on
 * the examples and fixtures, on hand-picked constructs, and on seeded mutants and generated files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiagnosticSink } from '../../src/podfile/diagnostics.js';
import type { PodNode } from '../../src/podfile/node.js';
import { parseYamlFast } from '../../src/podfile/yaml-fast.js';
import { parseYamlFull, parseYamlSource } from '../../src/podfile/yaml-source.js';
import { EXAMPLES, FIXTURES, filesIn } from './helpers.js';
import { mulberry32 } from '../harness/index.js';

const SEED = 0x0fa5_7ea1;


function full(text: string): { tree: PodNode | undefined; errors: string[] } {
  const sink = new DiagnosticSink('pod.yaml');
  const tree = parseYamlFull(text, sink);
  return { tree, errors: sink.errors.map((e) => `${e.line}:${e.column}: ${e.message}`) };
}

/** True when the fast path took `text`; fails when its tree is not the full reader's. */
function agrees(text: string): boolean {
  const fast = parseYamlFast(text);
  if (fast === undefined) return false;
  const reference = full(text);
  assert.deepEqual(reference.errors, [], `the fast path accepted text the full reader refuses:\n${text}`);
  assert.deepEqual(fast, reference.tree, `the fast path's tree differs from the full reader's for:\n${text}`);
  return true;
}

/** Constructs the fast path handles, in one file, to seed the mutants. */
const CONSTRUCTS = `--- # a document start, then comments at odd places
# top
apiVersion: v1 # trailing
kind : Pod
metadata:
    name: "web"
  # a comment indented less than its map
    labels: {app: web, 'tier': "front"}
    annotations:
      empty:
      blank:   
      tilde: ~
      long: "${'x'.repeat(300)}"
spec:
  containers:
  - name: a
    command:
    - sh
    - -c
    - |
      echo hi
        indented

      done
    args: [ x , 'it''s', "tab\\there", "\\u00e9\\x41" ]
    env:
      - name: A
        value: ''
      - name: B
        valueFrom: {fieldRef: {fieldPath: metadata.name}}
    ports: [{containerPort: 80, name: http}, {containerPort: 443}]
  -   name: b
      image: x:1
      args:
        - >-
          folded
          text
        - |+
          kept

  - # a comment after the dash
    name: c
    resources: # a comment after the colon
      limits: {cpu: "1"}
  volumes: []
  numbers: [0644, 0x1F, 1_000, 1e3, .5, -.inf, .NaN, 12345678901234567890, 1:20, 2024-05-01]
  words: [yes, No, on, OFF, y, n, Null, true, é, $(VAR), http://x:80/a, a#b]
`;

describe('YAML fast path', () => {
  it('takes the examples and the plain fixtures, with the full reader\'s tree', () => {
    const files = [...filesIn(EXAMPLES), ...filesIn(`${FIXTURES}valid`)].filter(([name]) => /\.ya?ml$/.test(name));
    assert.ok(files.length >= 5);
    for (const [name, text] of files) {
      if (name === 'anchors.yaml') assert.equal(parseYamlFast(text), undefined, 'aliases and merge keys are the full reader\'s');
      else assert.ok(agrees(text), `${name} should take the fast path`);
    }
    assert.ok(agrees(CONSTRUCTS), 'the constructs file should take the fast path');
  });

  it('leaves everything unusual or wrong to the full reader, so diagnostics do not change', () => {
    const cases = [
      'a: &x 1\nb: *x\n', // anchors and aliases
      'a: !!str 1\n', // tags
      'a: 1\na: 2\n', // duplicate keys
      'a: {b: 1, b: 2}\n',
      'base: {x: 1}\nc:\n  <<: {y: 2}\n', // merge keys
      'a: one\n  two\n', // multi-line plain scalar
      'a: "one\n  two"\n', // multi-line quoted scalar
      'a: [1,\n  2]\n', // flow collection over lines
      'a:\n\t- b\n', // tabs
      'a: 1\r\nb: 2\r\n', // CRLF
      'a: 1\n---\nb: 2\n', // a second document
      '%YAML 1.1\n---\na: 1\n', // directives
      'yes: 1\n', // a key that is not a string
      '1: x\n',
      '? a\n: b\n', // explicit keys
      'a:\n  -\n  - b\n', // an empty item
      'a: @x\n', // reserved characters
      'a: "x\\"', // an escaped closing quote at the end
      `${'k'.repeat(1100)}: v\n`, // over the 1024-character key limit
      `${Array.from({ length: 70 }, (_, i) => `${' '.repeat(i * 2)}k:`).join('\n')} v\n`, // nesting too deep
      'a: 1\n b: 2\n', // bad indentation
      'a:\n    b: 1\n  c: 2\n',
      'a: b: c\n',
      'a: "x" y\n',
      'a: [1, 2,]\n',
      'a: {b}\n',
      '- a\n- b\n', // not a map
      '# only a comment\n',
      '',
    ];
    for (const text of cases) {
      assert.equal(parseYamlFast(text), undefined, `the fast path should leave this to the full reader:\n${text}`);
      const sink = new DiagnosticSink('pod.yaml');
      const tree = parseYamlSource(text, sink);
      const reference = full(text);
      assert.deepEqual(tree, reference.tree);
      assert.deepEqual(sink.errors.map((e) => `${e.line}:${e.column}: ${e.message}`), reference.errors);
    }
  });

  it(`agrees with the full reader on 1500 mutated files (seed ${SEED.toString(16)})`, { timeout: 120_000 }, () => {
    const random = mulberry32(SEED);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const seeds = [...filesIn(EXAMPLES), ...filesIn(`${FIXTURES}valid`)].filter(([name]) => /\.ya?ml$/.test(name)).map(([, text]) => text);
    seeds.push(CONSTRUCTS);
    const pieces = [' ', '  ', '-', '- ', ':', ': ', '#', ' #', '"', "'", '|', '>', '|-', '[', ']', '{', '}', ',', '\n', '&a ', '*a', '!!str ', '? ', '%', '@', '\\', '---\n', '...\n', '<<: ', 'yes', '~', '0x', 'é', '- - '];
    let taken = 0;
    for (let i = 0; i < 1500; i++) {
      let text = pick(seeds);
      for (let round = 1 + Math.floor(random() * 3); round > 0; round--) {
        const lines = text.split('\n');
        const line = Math.floor(random() * lines.length);
        const at = Math.floor(random() * (text.length + 1));
        const kind = random();
        if (kind < 0.4) text = text.slice(0, at) + pick(pieces) + text.slice(at);
        else if (kind < 0.55) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
        else if (kind < 0.65) lines.splice(line, 0, pick(lines));
        else if (kind < 0.75) lines.splice(line, 1);
        else if (kind < 0.9) {
          const shift = Math.floor(random() * 5) - 2;
          const current = lines[line] ?? '';
          lines[line] = shift > 0 ? ' '.repeat(shift) + current : current.slice(Math.min(-shift, current.length - current.trimStart().length));
        } else lines.push(pick(lines));
        if (kind >= 0.55) text = lines.join('\n');
      }
      if (agrees(text)) taken++;
    }
    assert.ok(taken > 300, `the fast path should take many mutants, took ${taken}`);
  });

  it('agrees with the full reader on 800 generated files with YAML 1.1 scalars of every kind', { timeout: 120_000 }, () => {
    const random = mulberry32(SEED + 1);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const words = [
      'a', 'x y', 'yes', 'No', 'on', 'OFF', 'y', 'Y', 'n', '~', 'null', 'NULL', 'true', 'False', '0', '-1', '+1', '007', '0o7', '0x1F', '-0x1f',
      '0b101', '1_000', '1e3', '1.5', '.5', '+.5', '-.inf', '.NaN', '2001-12-14', '12:30:00', '1:20', '190:20:30.15', '12345678901234567890',
      '9007199254740993', '3.', 'http://x:80/a', 'a:b', 'a#b', '-', '-x', '?x', 'é', '$(VAR)', '%x', '@x', '|', 'a,b', '[x', '"q', "'q", 'a\\b', '', ' ', '<<', 'a  b', 'b: c', '\u2028',
    ];
    const scalar = (word: string): string => {
      const style = random();
      if (style < 0.5 && word !== '' && word.trim() === word) return word;
      if (style < 0.75) return `'${word.replaceAll("'", "''")}'`;
      return JSON.stringify(word);
    };
    const flow = (depth: number): string => {
      const kind = random();
      if (depth > 3 || kind < 0.6) return scalar(pick(words));
      const count = Math.floor(random() * 3);
      if (kind < 0.8) return `[${Array.from({ length: count }, () => flow(depth + 1)).join(', ')}]`;
      return `{${Array.from({ length: count }, () => `${scalar(pick(words))}: ${flow(depth + 1)}`).join(', ')}}`;
    };
    const value = (lines: string[], indent: number, prefix: string, depth: number): void => {
      const kind = random();
      const step = 1 + Math.floor(random() * 3);
      if (depth > 3 || kind < 0.45) lines.push(`${prefix} ${scalar(pick(words))}${random() < 0.2 ? ' # note' : ''}`);
      else if (kind < 0.55) lines.push(`${prefix} ${flow(0)}`);
      else if (kind < 0.62) {
        lines.push(`${prefix} ${pick(['|', '|-', '|+', '>', '>-', '>+'])}`);
        for (let n = Math.floor(random() * 4); n > 0; n--) lines.push(pick(['', `${' '.repeat(indent + step)}${pick(['text', ' more', 'a: b', '- x'])}`]));
      } else if (kind < 0.82) {
        lines.push(prefix);
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) value(lines, indent + step, `${' '.repeat(indent + step)}${scalar(pick(words))}:`, depth + 1);
      } else {
        lines.push(prefix);
        const at = prefix.endsWith(':') && random() < 0.3 ? indent : indent + step;
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) value(lines, at + 2, `${' '.repeat(at)}-`, depth + 1);
      }
    };
    let taken = 0;
    for (let i = 0; i < 800; i++) {
      const lines: string[] = [];
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) value(lines, 0, `${scalar(pick(words))}:`, 0);
      if (agrees(`${lines.join('\n')}\n`)) taken++;
    }
    assert.ok(taken > 100, `the fast path should take many generated files, took ${taken}`);
  });
});
