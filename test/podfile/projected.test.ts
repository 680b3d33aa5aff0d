/**
 * `projected` volumes: ConfigMaps, Secrets and downward-API items in one directory — parsed,
 * bound (a missing object names the source), turned into files in source order with modes, and
 * every bad shape refused naming the field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindPodConfig, sharedConfigObjects, volumeFiles } from '../../src/podfile/index.js';
import { hasError, invalid, valid } from './helpers.js';
import { CREDS_SECRET, DOWNWARD_VALUES } from './config-fixtures.js';

const pod = (projected: string): string => `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts: [{name: all, mountPath: /etc/all}]
  volumes:
  - name: all
    projected:
${projected}`;

const GOOD = pod(`      defaultMode: 0440
      sources:
      - secret: {name: creds, items: [{key: password, path: db/password, mode: 0400}]}
      - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
      - configMap: {name: settings}
      - configMap: {name: absent, optional: true}
`);
const OBJECTS = `---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
${CREDS_SECRET}`;
const VALUES = DOWNWARD_VALUES;

describe('projected volumes', () => {
  it('projects a Secret, downward-API items and ConfigMaps into one directory, in source order, with their modes', () => {
    const result = valid(GOOD + OBJECTS);
    const bound = bindPodConfig(result.spec, result.hash, result.objects, sharedConfigObjects([]));
    assert.ok(bound.ok, bound.ok ? '' : bound.problems.join('\n'));
    const [volume] = result.spec.volumes;
    assert.ok(volume !== undefined);
    assert.deepEqual(volumeFiles(result.spec, volume, bound.config, VALUES).map((f) => [f.path, f.mode.toString(8), f.data.toString()]), [
      ['db/password', '400', 'secret'],
      ['labels', '440', 'app="web"'],
      ['mode', '440', 'fast'],
    ]);
  });

  it('binds each source: a missing object names the source, unless optional', () => {
    const result = valid(GOOD);
    const bound = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects([]));
    assert.ok(!bound.ok);
    assert.match(bound.problems.join('\n'), /spec\.volumes\[0\]\.projected\.sources\[0\]: Secret "creds" does not exist/);
    assert.match(bound.problems.join('\n'), /spec\.volumes\[0\]\.projected\.sources\[2\]: ConfigMap "settings" does not exist/);
    assert.doesNotMatch(bound.problems.join('\n'), /absent/);
  });

  it('refuses bad shapes naming the field', () => {
    const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
      ['      sources:\n      - configMap: {name: a, items: [{key: k, path: same}]}\n      - secret: {name: b, items: [{key: k, path: same}]}\n',
        'spec.volumes[0].projected.sources[1].secret.items[0].path', /duplicate path "same"/],
      ['      sources:\n      - {configMap: {name: a}, secret: {name: b}}\n', 'spec.volumes[0].projected.sources[0]', /a projection has exactly one source, got configMap and secret/],
      ['      sources:\n      - {}\n', 'spec.volumes[0].projected.sources[0]', /a projection needs a source: configMap, secret, downwardAPI/],
      ['      sources:\n      - secret: {secretName: b}\n', 'spec.volumes[0].projected.sources[0].secret.secretName', /.+/],
      ['      sources:\n      - configMap: {name: a, defaultMode: 0400}\n', 'spec.volumes[0].projected.sources[0].configMap.defaultMode', /.+/],
      ['      defaultMode: 01000\n      sources: []\n', 'spec.volumes[0].projected.defaultMode', /.+/],
      ['      sources:\n      - downwardAPI: {items: [{path: ../x, fieldRef: {fieldPath: metadata.name}}]}\n', 'spec.volumes[0].projected.sources[0].downwardAPI.items[0].path', /\.\./],
      ['      sources:\n      - serviceAccountToken: {path: token}\n', 'spec.volumes[0].projected.sources[0].serviceAccountToken', /service-account token is issued by a cluster's API server/],
    ];
    for (const [body, path, message] of cases) hasError(invalid(pod(body)), path, message);
  });
});
