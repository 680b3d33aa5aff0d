/**
 * e2e: ConfigMaps and Secrets with `rocklet run --pod-file` inside a private test systemd: a
 * Secret beside the pod mounted as files (mode and tmpfs checked inside the running container),
 * env from configMapKeyRef / secretKeyRef / envFrom and the downward API seen by the app, shared
 * objects from `<config-dir>/configmaps|secrets/`; the Secret's value never in plan.json, the
 * appc manifest or rocklet's output. Refused before a pod exists: a missing object (named), a
 * group-readable secrets file (named); an optional missing one runs.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAppAci } from '../pod/runtime/aci.js';
import { RuntimeFixture } from '../pod/runtime/fixture.js';

const SECRET_VALUE = 's3cr3t-value';

function pod(name: string, extraEnv = '', extraVolumes = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.36
    command: [/bin/sh, -c, 'echo "env MODE=$MODE PASSWORD=$PASSWORD CFG_level=$CFG_level POD=$POD APP=$APP"; stat -c "mode %a" /etc/creds/password; grep " /etc/creds " /proc/mounts | cut -d" " -f3,4 | cut -d, -f1; cat /etc/creds/password; echo; cat /etc/info/labels; echo; touch /etc/creds/x 2>/dev/null || echo read-only']
    envFrom:
    - configMapRef: {name: settings}
      prefix: CFG_
    env:
    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
${extraEnv}    volumeMounts:
    - {name: creds, mountPath: /etc/creds}
    - {name: info, mountPath: /etc/info}
  volumes:
  - name: creds
    secret: {secretName: creds, defaultMode: 0400}
  - name: info
    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
${extraVolumes}`;
}

const SETTINGS = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast, level: "3"}\n';
const CREDS = `apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ndata: {password: ${Buffer.from(SECRET_VALUE).toString('base64')}}\n`;

describe('e2e: ConfigMaps and Secrets with rocklet run --pod-file', () => {
  let fx: RuntimeFixture;
  let configDir: string;
  let files = 0;
  before(async () => {
    fx = await RuntimeFixture.create('e2e-config-objects');
    const aci = path.join(fx.tmp.path, 'busybox.aci');
    await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '1.36' });
    const fetched = await fx.rocklet(['--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
    configDir = path.join(fx.tmp.path, 'config');
    await mkdir(configDir, { recursive: true });
  });
  after(() => fx?.dispose());

  async function podFile(text: string): Promise<string> {
    const file = path.join(fx.tmp.path, `pod-${++files}.yaml`);
    await writeFile(file, text);
    return file;
  }

  async function run(file: string): Promise<{ code: number | null; stdout: string; stderr: string; uuid: string }> {
    const uuidFile = path.join(fx.tmp.path, `run-${files}.uuid`);
    const result = await fx.rocklet([`--config-dir=${configDir}`, 'run', `--uuid-file-save=${uuidFile}`, `--pod-file=${file}`]);
    const uuid = await readFile(uuidFile, 'utf8').then((text) => text.trim(), () => '');
    return { ...result, uuid };
  }

  function checkOutput(stdout: string, name: string): void {
    const lines = stdout.split('\n');
    assert.equal(lines[0], `env MODE=fast PASSWORD=${SECRET_VALUE} CFG_level=3 POD=${name} APP=${name}`);
    assert.equal(lines[1], 'mode 400', 'the Secret file has the mode asked for');
    assert.equal(lines[2], 'tmpfs ro', 'the secret volume is a tmpfs, mounted read-only');
    assert.equal(lines[3], SECRET_VALUE);
    assert.equal(lines[4], `app="${name}"`);
    assert.equal(lines[5], 'read-only');
  }

  async function assertSecretNowhere(uuid: string, outputs: string): Promise<void> {
    assert.doesNotMatch(outputs, new RegExp(`${SECRET_VALUE}[\\s\\S]*${SECRET_VALUE}[\\s\\S]*${SECRET_VALUE}`), 'only the app printed it (env, file)');
    const podDirs = await readdir(path.join(fx.dataDir, 'pods'));
    for (const state of podDirs) {
      const dir = path.join(fx.dataDir, 'pods', state, uuid);
      const plan = await readFile(path.join(dir, 'plan.json'), 'utf8').catch(() => undefined);
      if (plan === undefined) continue;
      assert.doesNotMatch(plan, new RegExp(SECRET_VALUE), 'plan.json holds no Secret value');
      assert.doesNotMatch(plan, new RegExp(Buffer.from(SECRET_VALUE).toString('base64')), 'plan.json holds no Secret value (base64)');
    }
    const manifest = await fx.rocklet(['cat-manifest', uuid]);
    assert.equal(manifest.code, 0, manifest.stderr);
    assert.doesNotMatch(manifest.stdout, new RegExp(SECRET_VALUE));
  }

  it('runs a pod with its ConfigMap and Secret beside it: env, files with their mode on a read-only tmpfs, downward API', async () => {
    const file = await podFile(`${pod('inline')}---\n${SETTINGS}---\n${CREDS}`);
    const result = await run(file);
    assert.equal(result.code, 0, result.stderr);
    checkOutput(result.stdout, 'inline');
    await assertSecretNowhere(result.uuid, result.stdout + result.stderr);
    assert.deepEqual(await fx.leftovers(result.uuid), []);
  });

  it('runs a command and an env value that take a Secret through $(NAME), and keeps the value out of plan.json', async () => {
    const text = [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: refs}', 'spec:', '  restartPolicy: Never', '  terminationGracePeriodSeconds: 1',
      '  containers:', '  - name: app', '    image: busybox:1.36',
      '    command: [/bin/sh, -c, \'echo "arg=$0 dsn=$DSN"\', "$(PASSWORD)"]',
      '    env:',
      '    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}',
      '    - {name: DSN, value: "db://app:$(PASSWORD)@db"}', '',
    ].join('\n');
    const result = await run(await podFile(`${text}---\n${CREDS}`));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split('\n')[0], `arg=${SECRET_VALUE} dsn=db://app:${SECRET_VALUE}@db`);
    await assertSecretNowhere(result.uuid, result.stdout + result.stderr);
    const status = await fx.rocklet(['status', '--format=json', result.uuid]);
    assert.doesNotMatch(status.stdout + status.stderr, new RegExp(SECRET_VALUE), 'rocklet status shows no Secret value');
  });

  it('runs a projected volume: the Secret, the ConfigMap and the downward API in one read-only tmpfs, each file with its mode', async () => {
    const text = [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: projected, labels: {app: projected}}', 'spec:', '  restartPolicy: Never', '  terminationGracePeriodSeconds: 1',
      '  containers:', '  - name: app', '    image: busybox:1.36',
      '    command: [/bin/sh, -c, \'cd /etc/all && for f in db/password mode labels; do echo "$f $(stat -c %a $f) $(cat $f)"; done; grep " /etc/all " /proc/mounts | cut -d" " -f3,4 | cut -d, -f1\']',
      '    volumeMounts: [{name: all, mountPath: /etc/all}]',
      '  volumes:', '  - name: all', '    projected:', '      defaultMode: 0440', '      sources:',
      '      - secret: {name: creds, items: [{key: password, path: db/password, mode: 0400}]}',
      '      - configMap: {name: settings, items: [{key: mode, path: mode}]}',
      '      - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}', '',
    ].join('\n');
    const result = await run(await podFile(`${text}---\n${SETTINGS}---\n${CREDS}`));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), [`db/password 400 ${SECRET_VALUE}`, 'mode 440 fast', 'labels 440 app="projected"', 'tmpfs ro']);
    await assertSecretNowhere(result.uuid, result.stdout.replace(SECRET_VALUE, '') + result.stderr);
    assert.deepEqual(await fx.leftovers(result.uuid), []);
  });

  it('runs with shared objects from <config-dir>/configmaps and secrets/', async () => {
    await mkdir(path.join(configDir, 'configmaps'), { mode: 0o755 });
    await mkdir(path.join(configDir, 'secrets'), { mode: 0o700 });
    await chmod(path.join(configDir, 'secrets'), 0o700);
    await writeFile(path.join(configDir, 'configmaps', 'settings.yaml'), SETTINGS, { mode: 0o644 });
    await writeFile(path.join(configDir, 'secrets', 'creds.yaml'), CREDS, { mode: 0o600 });
    const result = await run(await podFile(pod('shared')));
    assert.equal(result.code, 0, result.stderr);
    checkOutput(result.stdout, 'shared');
    await assertSecretNowhere(result.uuid, result.stdout + result.stderr);
  });

  it('refuses a missing object naming it, and a group-readable secrets file naming it; an optional missing one runs', async () => {
    const missing = await run(await podFile(pod('missing', '    - {name: OTHER, valueFrom: {configMapKeyRef: {name: nowhere, key: k}}}\n')));
    assert.equal(missing.code, 254);
    assert.match(missing.stderr, /spec\.containers\[0\]\.env\[4\]: ConfigMap "nowhere" does not exist: write it beside the pod in its file or in <config-dir>\/configmaps\//);
    assert.equal(missing.uuid, '', 'no pod was prepared');
    const optional = await run(await podFile(pod('optional', '    - {name: OTHER, valueFrom: {configMapKeyRef: {name: nowhere, key: k, optional: true}}}\n')));
    assert.equal(optional.code, 0, optional.stderr);
    await chmod(path.join(configDir, 'secrets', 'creds.yaml'), 0o640);
    const readable = await run(await podFile(pod('readable')));
    assert.equal(readable.code, 254);
    assert.match(readable.stderr, /Secret "creds" does not exist: .*refused files that may hold it: .*secrets\/creds\.yaml: the file is mode 0640: Secrets must be readable by root only \(chmod 0600\)/);
    await chmod(path.join(configDir, 'secrets', 'creds.yaml'), 0o600);
  });
});
