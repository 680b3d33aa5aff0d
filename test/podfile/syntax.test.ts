import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasError, invalid, pod, valid } from './helpers.js';

describe('pod file syntax: YAML 1.1 as Kubernetes reads it', () => {
  it('reads yes/no/on/off/y/n as booleans (so they are refused where strings belong)', () => {
    for (const word of ['yes', 'no', 'on', 'off', 'y', 'n', 'True', 'OFF']) {
      const result = invalid(pod({ container: `      env:\n        - name: X\n          value: ${word}` }));
      hasError(result, 'spec.containers[0].env[0].value', new RegExp(`expected a string, got a boolean \\(${word}\\); quote it`));
    }
  });

  it('reads 0644 as octal 420 and 0x10 as 16 (YAML 1.1 integers)', () => {
    const spec = valid(pod({ spec: '  terminationGracePeriodSeconds: 0644' })).spec;
    assert.equal(spec.terminationGracePeriodSeconds, 420);
    assert.equal(valid(pod({ spec: '  terminationGracePeriodSeconds: 0x10' })).spec.terminationGracePeriodSeconds, 16);
  });

  it('refuses floats where integers belong, even whole ones (Go refuses 80.0 for an int)', () => {
    hasError(invalid(pod({ spec: '  terminationGracePeriodSeconds: 30.0' })), 'spec.terminationGracePeriodSeconds', /expected an integer, got 30\.0/);
    hasError(invalid(pod({ container: '      ports: [{containerPort: 8e1}]' })), 'spec.containers[0].ports[0].containerPort', /expected an integer, got 8e1/);
    assert.equal(valid(pod({ container: '      ports: [{containerPort: 1_000}]' })).spec.containers[0]?.ports[0]?.containerPort, 1000);
  });

  it('keeps timestamps and sexagesimal-looking values as strings (go-yaml does)', () => {
    const spec = valid(pod({ metadata: '  annotations:\n    built: 2024-05-01\n    ratio: 1:20' })).spec;
    assert.equal(spec.annotations['built'], '2024-05-01');
    assert.equal(spec.annotations['ratio'], '1:20');
  });

  it('refuses duplicate keys with both lines named (never "last one wins")', () => {
    const result = invalid(pod({ container: '      image: busybox' }));
    const error = hasError(result, 'spec.containers[0].image', /duplicate key "image" \(first at line 8\)/);
    assert.equal(error.line, 9);
  });

  it('refuses tabs used for indentation with the position', () => {
    const result = invalid('apiVersion: v1\nkind: Pod\nmetadata:\n\tname: web\n');
    assert.ok(result.errors.some((e) => /tabs are not allowed for indentation/.test(e.message) && e.line === 4));
  });

  it('reports syntax errors with line, column and an excerpt', () => {
    const unclosed = invalid('apiVersion: v1\nkind: Pod\nmetadata:\n  name: "web\nspec: {}\n');
    assert.ok(unclosed.errors.some((e) => /yaml syntax error: missing closing "quote/i.test(e.message) && e.line > 0));
    const noColon = invalid('apiVersion: v1\nkind Pod\nmetadata:\n  name: web\n');
    const error = noColon.errors[0];
    assert.ok(error !== undefined && /yaml syntax error/.test(error.message) && /\(near "/.test(error.message), error?.message);
  });

  it('refuses mapping keys that are not strings', () => {
    const result = invalid(pod({ metadata: '  labels:\n    yes: x' }));
    hasError(result, 'metadata.labels', /mapping key yes must be a string: quote it/);
  });

  it('refuses unknown tags and binary values', () => {
    invalid(pod({ metadata: '  labels:\n    a: !custom x' }));
    hasError(invalid(pod({ metadata: '  labels:\n    a: !!binary aGVsbG8=' })), 'metadata.labels.a', /unsupported YAML value/);
  });

  it('resolves anchors, aliases and merge keys; explicit keys win over merged ones', () => {
    const text = [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: web}', 'spec:', '  containers:',
      '    - &c {name: a, image: "busybox:1", args: [x]}', '    - <<: *c', '      name: b',
    ].join('\n');
    const spec = valid(text).spec;
    assert.deepEqual(spec.containers.map((c) => [c.name, c.args]), [['a', ['x']], ['b', ['x']]]);
  });

  it('refuses unknown aliases', () => {
    hasError(invalid(pod({ container: '      args: *nothing' })), 'spec.containers[0].args', /unknown alias \*nothing/);
  });

  it('stops alias bombs and deep nesting (formats.md §4 #23)', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const bomb = invalid(`${lines.join('\n')}\n`);
    assert.match(bomb.errors[0]?.message ?? '', /too many (aliases|YAML nodes)/);
    const deep = invalid(`${'['.repeat(100)}${']'.repeat(100)}\n`);
    assert.match(deep.errors[0]?.message ?? '', /nesting is too deep/);
    const deeper = invalid(`a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    assert.match(deeper.errors[0]?.message ?? '', /nesting is too deep/);
  });
});

describe('pod file syntax: strict JSON when the file starts with {', () => {
  const good = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": [{"name": "a", "image": "busybox"}]}}';

  it('accepts plain JSON', () => {
    assert.equal(valid(good, 'web.json').spec.name, 'web');
    assert.equal(valid(`  \n${good}\n`, 'web.json').spec.name, 'web');
  });

  it('refuses comments, trailing commas, single quotes and trailing garbage (formats.md §4 #33)', () => {
    const cases: [string, RegExp][] = [
      ['{"a": 1, // note\n}', /json: comments are not allowed/],
      ['{"a": 1 /* c */}', /json: comments are not allowed/],
      ['{"a": 1,}', /json: trailing comma before "}"/],
      ['{"a": [1,]}', /json: trailing comma before "]"/],
      ["{'a': 1}", /json: unexpected "'", expected a "quoted" key/],
      [`${good} x`, /json: unexpected text after the JSON document/],
      ['{"a": 01}', /json: unexpected "1", expected "," or "}"/],
      ['{"a": "tab\there"}', /control characters must be escaped/],
      ['{"a": "\\q"}', /invalid escape \\q/],
      ['{"a": tru}', /unexpected "t", expected a value/],
      ['{"a": 1', /unexpected end of file/],
    ];
    for (const [text, message] of cases) {
      const result = invalid(text, 'x.json');
      assert.match(result.errors[0]?.message ?? '', message, text);
    }
  });

  it('refuses duplicate keys with their position', () => {
    const result = invalid('{\n  "apiVersion": "v1",\n  "apiVersion": "v1"\n}', 'x.json');
    const error = hasError(result, 'apiVersion', /duplicate key "apiVersion" \(first at line 2\)/);
    assert.deepEqual([error.line, error.column], [3, 3]);
  });

  it('reads escapes and big integers exactly', () => {
    const text = good.replace('"busybox"', '"busy\\u0062ox"').replace('"web"}', '"web", "annotations": {"n": "\\"\\/\\n"}}');
    const spec = valid(text, 'x.json').spec;
    assert.equal(spec.annotations['n'], '"/\n');
    const big = good.replace('"containers"', '"terminationGracePeriodSeconds": 99999999999999999999, "containers"');
    hasError(invalid(big, 'x.json'), 'spec.terminationGracePeriodSeconds', /must be between 0 and 2147483647/);
  });
});
