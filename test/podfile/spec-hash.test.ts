import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPEC_HASH_SCHEMA, canonicalJson, specHash } from '../../src/podfile/index.js';
import { valid } from './helpers.js';

const BASE = `# the web pod
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
    - name: app
      image: nginx:1.27
      env:
        - name: MODE
          value: production
      resources:
        limits: {cpu: 500m, memory: 128Mi}
`;

function hashOf(text: string, file = 'web.yaml'): string {
  return valid(text, file).hash;
}

describe('spec hash', () => {
  const base = hashOf(BASE);

  it('is sha256 of the canonical form with a schema version', () => {
    assert.match(base, /^sha256:[0-9a-f]{64}$/);
    assert.equal(SPEC_HASH_SCHEMA, 'rocklet.podspec/v1');
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
  });

  it('does not change with comments, key order, quoting, spelling of defaults or the file name', () => {
    assert.equal(hashOf(BASE.replace('# the web pod', '# edited comment\n# more')), base);
    assert.equal(hashOf(BASE, '/etc/pods/renamed.yml'), base);
    const reordered = `kind: Pod
spec:
  containers:
    - resources:
        limits: {memory: 128Mi, cpu: 500m}
      env: [{value: production, name: MODE}]
      image: "nginx:1.27"
      name: 'app'
metadata:
  labels: {app: web}
  name: web
apiVersion: v1
`;
    assert.equal(hashOf(reordered), base);
    const spelled = BASE.replace('cpu: 500m', 'cpu: "0.5"').replace('memory: 128Mi', 'memory: 134217728')
      .replace('  containers:', '  restartPolicy: Always\n  terminationGracePeriodSeconds: 30\n  containers:')
      .replace('      image: nginx:1.27', '      image: docker.io/library/nginx:1.27\n      imagePullPolicy: IfNotPresent');
    assert.equal(hashOf(spelled), base);
    const asJson = JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'production' }], resources: { limits: { cpu: '500m', memory: '128Mi' } } }] },
    });
    assert.equal(hashOf(asJson, 'web.json'), base);
  });

  it('does not change with labels, plain annotations or nodeSelector (no effect on how the pod runs)', () => {
    assert.equal(hashOf(BASE.replace('labels: {app: web}', 'labels: {app: web2}\n  annotations: {note: x}')), base);
    assert.equal(hashOf(BASE.replace('spec:\n', 'spec:\n  nodeSelector: {role: edge}\n')), base);
  });

  it('changes with the image tag, an env value, a limit and rocklet annotations', () => {
    const variants = [
      BASE.replace('nginx:1.27', 'nginx:1.28'),
      BASE.replace('value: production', 'value: staging'),
      BASE.replace('memory: 128Mi', 'memory: 256Mi'),
      BASE.replace('cpu: 500m', 'cpu: 600m'),
      BASE.replace('labels: {app: web}', 'annotations: {rocklet.io/insecure-options: image}'),
      BASE.replace('name: web', 'name: web2'),
      BASE.replace('spec:\n', 'spec:\n  restartPolicy: Never\n'),
    ];
    const hashes = new Set(variants.map((text) => hashOf(text)));
    assert.equal(hashes.size, variants.length);
    assert.ok(!hashes.has(base));
  });

  it('is a pure function of the spec', () => {
    const spec = valid(BASE).spec;
    assert.equal(specHash(spec), specHash(JSON.parse(JSON.stringify(spec)) as typeof spec));
  });
});
