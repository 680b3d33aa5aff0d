import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { expandContainer, expandVariables, matchesNodeSelector, nodeSelectorMismatches } from '../../src/podfile/index.js';
import { FIXTURES, valid } from './helpers.js';

const lookup = (vars: Record<string, string>) => (name: string): string | undefined => vars[name];

describe('$(VAR) expansion (kubelet semantics)', () => {
  it('replaces defined references, keeps undefined ones, unescapes $$', () => {
    const vars = lookup({ A: 'x', B: 'y' });
    assert.equal(expandVariables('$(A)-$(B)', vars), 'x-y');
    assert.equal(expandVariables('$(MISSING)', vars), '$(MISSING)');
    assert.equal(expandVariables('$$(A)', vars), '$(A)');
    assert.equal(expandVariables('$$$(A)', vars), '$x');
    assert.equal(expandVariables('cost: $5', vars), 'cost: $5');
    assert.equal(expandVariables('$(A', vars), '$(A');
    assert.equal(expandVariables('trailing $', vars), 'trailing $');
    assert.equal(expandVariables('$()', vars), '$()');
    assert.equal(expandVariables('no refs', vars), 'no refs');
  });

  it('resolves a container: env in order, fieldRefs, command and args', () => {
    const spec = valid(readFileSync(`${FIXTURES}valid/full.yaml`, 'utf8'), 'full.yaml').spec;
    const main = spec.containers[0];
    assert.ok(main !== undefined);
    const expanded = expandContainer(spec, main, { uid: 'u-1', nodeName: 'node-1', hostIP: '192.0.2.1', podIP: '10.88.0.5' });
    assert.deepEqual(expanded.args, ['--listen=:8080', '--name=full', '$(literal)']);
    assert.deepEqual(expanded.command, ['/bin/main']);
    const env = Object.fromEntries(expanded.env.map((v) => [v.name, v.value]));
    assert.deepEqual(env, {
      PORT: '8080', POD_NAME: 'full', POD_NAMESPACE: 'tools', POD_UID: 'u-1', NODE_NAME: 'node-1',
      HOST_IP: '192.0.2.1', POD_IP: '10.88.0.5', EMPTY: '', URL: 'http://full:8080/',
    });
  });

  it('an env value sees only variables defined before it', () => {
    const spec = valid(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: busybox\n    env:\n    - {name: FIRST, value: "$(SECOND)"}\n    - {name: SECOND, value: two}\n    args: ["$(FIRST)", "$(SECOND)"]\n',
    ).spec;
    const container = spec.containers[0];
    assert.ok(container !== undefined);
    const expanded = expandContainer(spec, container, { uid: '', nodeName: '', hostIP: '', podIP: '' });
    assert.deepEqual(expanded.env, [{ name: 'FIRST', value: '$(SECOND)' }, { name: 'SECOND', value: 'two' }]);
    assert.deepEqual(expanded.args, ['$(SECOND)', 'two']);
  });

  it('never expands appc pods', () => {
    const text = JSON.stringify({
      acKind: 'PodManifest', acVersion: '0.8.11',
      apps: [{ name: 'a', image: { name: 'x.io/a' }, app: { exec: ['/a', '$(X)'], user: '0', group: '0', environment: [{ name: 'X', value: '$(Y)' }, { name: 'Y', value: 'y' }] } }],
    });
    const spec = valid(text, 'p.json').spec;
    const app = spec.containers[0];
    assert.ok(app !== undefined);
    const expanded = expandContainer(spec, app, { uid: '', nodeName: '', hostIP: '', podIP: '' });
    assert.deepEqual(expanded.command, ['/a', '$(X)']);
    assert.deepEqual(expanded.env, [{ name: 'X', value: '$(Y)' }, { name: 'Y', value: 'y' }]);
  });
});

describe('nodeSelector matching', () => {
  const spec = { nodeSelector: { role: 'edge', zone: 'a' } };

  it('matches when every selector label is present with the same value', () => {
    assert.equal(matchesNodeSelector(spec, { role: 'edge', zone: 'a', extra: 'x' }), true);
    assert.equal(matchesNodeSelector({ nodeSelector: {} }, {}), true);
  });

  it('names what does not match', () => {
    assert.equal(matchesNodeSelector(spec, { role: 'edge' }), false);
    assert.deepEqual(nodeSelectorMismatches(spec, { role: 'core' }), [{ key: 'role', wanted: 'edge', actual: 'core' }, { key: 'zone', wanted: 'a' }]);
    assert.deepEqual(nodeSelectorMismatches({ nodeSelector: { toString: 'x' } }, {}), [{ key: 'toString', wanted: 'x' }]);
  });
});
