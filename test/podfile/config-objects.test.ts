/**
 * ConfigMaps and Secrets beside a pod (multi-document files), references to them, binding
 * (missing objects and keys, optional, the effective hash) and the values containers get.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigObject, PodNamespace } from '../../src/podfile/index.js';
import { bindPodConfig, expandContainer, parseConfigObjectFile, sharedConfigObjects, volumeFiles } from '../../src/podfile/index.js';
import { hasError, invalid, valid } from './helpers.js';
import { CREDS_SECRET, DOWNWARD_VALUES } from './config-fixtures.js';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web, tier: front}}
spec:
  containers:
  - name: app
    image: busybox
    resources: {limits: {memory: 64Mi, cpu: 250m}}
    envFrom:
    - configMapRef: {name: settings}
      prefix: CFG_
    env:
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
    - {name: OPTIONAL, valueFrom: {configMapKeyRef: {name: absent, key: x, optional: true}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: GREETING, value: "mode is $(MODE)"}
  volumes:
  - name: creds
    secret: {secretName: creds, defaultMode: 0400, items: [{key: password, path: db/password}]}
  - name: info
    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
`;
const SETTINGS = `---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast, level: "3", "bad-name": x}
`;
const CREDS = CREDS_SECRET;
const VALUES = DOWNWARD_VALUES;

describe('ConfigMaps and Secrets', () => {
  it('treats what a Secret reaches through $(NAME) as secret: an env value is marked, command/args keep the reference and the expanded argv apart', () => {
    const text = POD.replace('    - {name: GREETING, value: "mode is $(MODE)"}\n', [
      '    - {name: GREETING, value: "mode is $(MODE)"}',
      '    - {name: DSN, value: "db://app:$(PASSWORD)@db/$(MODE)"}',
      '    command: [/bin/app, "--mode=$(MODE)"]',
      '    args: ["--password=$(PASSWORD)", "--dsn=$(DSN)", "$(MODE)"]',
      '',
    ].join('\n'));
    const result = valid(text + SETTINGS + CREDS);
    const bound = bindPodConfig(result.spec, result.hash, result.objects, sharedConfigObjects([]));
    assert.ok(bound.ok);
    const container = result.spec.containers[0];
    assert.ok(container !== undefined);
    const expanded = expandContainer(result.spec, container, VALUES, bound.config);
    const byName = new Map(expanded.env.map((variable) => [variable.name, variable]));
    assert.deepEqual(byName.get('DSN'), { name: 'DSN', value: 'db://app:secret@db/fast', secret: true });
    assert.deepEqual(byName.get('GREETING'), { name: 'GREETING', value: 'mode is fast' }, 'a ConfigMap value stays plain');
    assert.deepEqual(expanded.command, ['/bin/app', '--mode=fast']);
    assert.deepEqual(expanded.args, ['--password=$(PASSWORD)', '--dsn=$(DSN)', 'fast'], 'the storable argv keeps Secret-backed references as written');
    assert.deepEqual(expanded.secretArgv, { command: ['/bin/app', '--mode=fast'], args: ['--password=secret', '--dsn=db://app:secret@db/fast', 'fast'] });
    const plainSpec = valid(POD.replace('    envFrom:', '    args: ["$(MODE)"]\n    envFrom:') + SETTINGS + CREDS).spec;
    const plainContainer = plainSpec.containers[0];
    assert.ok(plainContainer !== undefined);
    const plain = expandContainer(plainSpec, plainContainer, VALUES, bound.config);
    assert.deepEqual(plain.args, ['fast']);
    assert.equal(plain.secretArgv, undefined, 'no Secret in the argv: nothing kept apart');
  });

  it('accepts a pod with its ConfigMap and Secret beside it and resolves every reference as kubelet does', () => {
    const result = valid(POD + SETTINGS + CREDS);
    assert.deepEqual(result.objects.map((object) => `${object.kind}/${object.name}`), ['ConfigMap/settings', 'Secret/creds']);
    const bound = bindPodConfig(result.spec, result.hash, result.objects, sharedConfigObjects([]));
    assert.ok(bound.ok);
    assert.notEqual(bound.hash, result.hash, 'referenced objects are part of the effective hash');
    const container = result.spec.containers[0];
    assert.ok(container !== undefined);
    const env = expandContainer(result.spec, container, VALUES, bound.config).env;
    assert.deepEqual(env, [
      { name: 'CFG_bad-name', value: 'x' },
      { name: 'CFG_level', value: '3' },
      { name: 'CFG_mode', value: 'fast' },
      { name: 'PASSWORD', value: 'secret', secret: true },
      { name: 'MODE', value: 'fast' },
      { name: 'APP', value: 'web' },
      { name: 'MEM_MI', value: '64' },
      { name: 'CPU', value: '1' },
      { name: 'GREETING', value: 'mode is fast' },
    ]);
    const [secretVolume, info] = result.spec.volumes;
    assert.ok(secretVolume !== undefined && info !== undefined);
    assert.deepEqual(volumeFiles(result.spec, secretVolume, bound.config, VALUES), [{ path: 'db/password', mode: 0o400, data: Buffer.from('secret') }]);
    assert.deepEqual(volumeFiles(result.spec, info, bound.config, VALUES).map((file) => [file.path, file.data.toString()]), [['labels', 'app="web"\ntier="front"']]);
  });

  it('binds to shared objects; a missing one is a problem naming it and where, unless optional', () => {
    const result = valid(POD);
    const missing = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects([]));
    assert.ok(!missing.ok);
    assert.match(missing.problems.join('\n'), /spec\.containers\[0\]\.envFrom\[0\]: ConfigMap "settings" does not exist: write it beside the pod in its file or in <config-dir>\/configmaps\//);
    assert.match(missing.problems.join('\n'), /spec\.containers\[0\]\.env\[0\]: Secret "creds" does not exist/);
    assert.doesNotMatch(missing.problems.join('\n'), /absent/, 'optional references are no problem');
    const settings = parseConfigObjectFile(SETTINGS, 'settings.yaml', 'ConfigMap');
    const creds = parseConfigObjectFile(CREDS, 'creds.yaml', 'Secret');
    assert.ok(settings.ok && creds.ok);
    const objects: ConfigObject[] = [...settings.objects, ...creds.objects];
    const bound = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects(objects));
    assert.ok(bound.ok);
    const changed = objects.map((object) => (object.kind === 'Secret' ? { ...object, data: { password: Buffer.from('other').toString('base64') } } : object));
    const rebound = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects(changed));
    assert.ok(rebound.ok && rebound.hash !== bound.hash, 'a changed object changes the hash');
    const immutable = objects.map((object) => ({ ...object, immutable: true }));
    const a = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects(immutable));
    const b = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects(changed.map((object) => ({ ...object, immutable: true }))));
    assert.ok(a.ok && b.ok && a.hash === b.hash, 'an immutable object\'s content does not reach running pods');
    const noKey = objects.map((object) => (object.kind === 'Secret' ? { ...object, data: {} } : object));
    const keyless = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects(noKey));
    assert.ok(!keyless.ok);
    assert.match(keyless.problems.join('\n'), /Secret "creds" has no key "password"/);
  });

  it('a pod without references keeps its spec hash', () => {
    const result = valid('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: a, image: busybox}]\n');
    const bound = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects([]));
    assert.ok(bound.ok && bound.hash === result.hash);
  });

  it('refuses invalid base64 in a Secret\'s data and a ConfigMap key that is no file name, naming them', () => {
    const badBase64 = invalid(POD + CREDS.replace('c2VjcmV0', 'not base64!'));
    hasError(badBase64, 'data.password', /^not valid base64 \(standard alphabet A-Z a-z 0-9 \+ \/, padded with "="\); put plain text under stringData instead/);
    const badKey = invalid(POD + SETTINGS.replace('"bad-name"', '"a/b"'));
    hasError(badKey, 'data["a/b"]', /^"a\/b" is not a valid key: a key is a valid file name/);
    const dots = invalid(POD + SETTINGS.replace('"bad-name"', '".."'));
    hasError(dots, 'data[".."]', /is not a valid key/);
    const shared = parseConfigObjectFile(CREDS.replace('kind: Secret', 'kind: ConfigMap'), 'x.yaml', 'Secret');
    assert.ok(!shared.ok);
    assert.match(shared.errors[0]?.message ?? '', /a ConfigMap does not belong in secrets\/; put it in configmaps\//);
  });

  it('reports one error per cause: a bad secretKeyRef is one error at its own field', () => {
    const result = invalid(POD.replace('{secretKeyRef: {name: creds, key: password}}', '{secretKeyRef: {name: creds}}'));
    assert.deepEqual(result.errors.map((error) => `${error.path}: ${error.message}`), ['spec.containers[0].env[0].valueFrom.secretKeyRef.key: required field is missing']);
    const both = invalid(POD.replace('{secretKeyRef: {name: creds, key: password}}', '{secretKeyRef: {name: creds, key: password}, fieldRef: {fieldPath: metadata.name}}'));
    assert.deepEqual(both.errors.map((error) => `${error.path}: ${error.message}`), ['spec.containers[0].env[0].valueFrom: valueFrom has exactly one source, got fieldRef and secretKeyRef']);
  });

  it('namespaces separate objects: a pod finds only those of its namespace', () => {
    const result = valid(POD.replace('metadata: {name: web,', 'metadata: {name: web, namespace: prod,'));
    const settings = parseConfigObjectFile(SETTINGS, 's.yaml', 'ConfigMap');
    const creds = parseConfigObjectFile(CREDS, 'c.yaml', 'Secret');
    assert.ok(settings.ok && creds.ok);
    const bound = bindPodConfig(result.spec, result.hash, [], sharedConfigObjects([...settings.objects, ...creds.objects]));
    assert.ok(!bound.ok, 'objects in namespace default are not those of namespace prod');
    assert.equal(settings.objects[0]?.namespace, 'default' as PodNamespace);
  });
});
