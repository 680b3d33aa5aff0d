/**
 * Round trips through the normalised form, and proof of Kubernetes compatibility: every
 * example and every valid fixture (Kubernetes ones; appc manifests are not Kubernetes objects)
 * passes the real Pod schema of kubernetes-models, and so does each rendered normalised spec.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pod } from 'kubernetes-models/v1';
import { parse as parseYaml, stringify } from 'yaml';
import { EXAMPLES, FIXTURES, filesIn, valid } from './helpers.js';
import { renderKubernetesPod } from './render-kubernetes.js';

const KUBERNETES_FILES = [
  ...filesIn(`${FIXTURES}valid`).map(([name, text]): [string, string] => [`fixtures/valid/${name}`, text]),
  ...filesIn(EXAMPLES).filter(([, text]) => !text.includes('"acKind"')).map(([name, text]): [string, string] => [`examples/${name}`, text]),
];
const APPC_FILES = [...filesIn(`${FIXTURES}appc`), ...filesIn(EXAMPLES).filter(([, text]) => text.includes('"acKind"'))];

function kubernetesValidate(object: unknown): void {
  new Pod(object as ConstructorParameters<typeof Pod>[0]).validate();
}

describe('Kubernetes compatibility: accepted files pass the real Pod schema (kubernetes-models)', () => {
  it('covers the examples and fixtures', () => {
    assert.ok(KUBERNETES_FILES.length >= 9, `found ${KUBERNETES_FILES.length}`);
    assert.ok(APPC_FILES.length >= 2);
  });
  for (const [name, text] of KUBERNETES_FILES) {
    it(name, () => {
      const result = valid(text, name);
      const raw: unknown = name.endsWith('.json') ? JSON.parse(text) : (parseYaml(text) as unknown);
      assert.doesNotThrow(() => kubernetesValidate(raw));
      assert.doesNotThrow(() => kubernetesValidate(renderKubernetesPod(result.spec)));
    });
  }
  for (const [name, text] of APPC_FILES) {
    it(`appc ${name} is valid for rocklet`, () => {
      assert.equal(valid(text, name).spec.format, 'appc');
    });
  }
  it('the schema check is real: kubernetes-models refuses a string containerPort', () => {
    assert.throws(() => kubernetesValidate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'a', image: 'b', ports: [{ containerPort: '80' }] }] } }));
  });
});

describe('round trips through the normalised form', () => {
  for (const [name, text] of KUBERNETES_FILES) {
    it(`${name}: parse → render every field explicitly → parse gives the same spec and hash`, () => {
      const first = valid(text, name);
      const rendered = renderKubernetesPod(first.spec);
      for (const [syntax, body] of [['yaml', stringify(rendered, { version: '1.1' })], ['json', JSON.stringify(rendered)]] as const) {
        const second = valid(body, `again.${syntax}`);
        assert.deepEqual(second.spec, first.spec);
        assert.equal(second.hash, first.hash);
      }
    });
  }

  it('the normalised spec survives JSON serialisation unchanged (what --print shows)', () => {
    for (const [name, text] of [...KUBERNETES_FILES, ...APPC_FILES]) {
      const spec = valid(text, name).spec;
      assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
    }
  });
});

