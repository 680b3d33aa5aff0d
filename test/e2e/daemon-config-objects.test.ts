/**
 * e2e: ConfigMaps and Secrets under the daemon. Shared objects in `<config-dir>/configmaps/`
 * and `<config-dir>/secrets/` reach the app (env from configMapKeyRef / secretKeyRef /
 * envFrom, a secret volume on tmpfs with its mode); editing the ConfigMap updates the pod
 * exactly once (a new UUID, the new value seen by the app); the Secret's value never shows in
 * `rocklet pods`, `rocklet plan`, `validate --print` or the daemon's journal. A pod naming a
 * missing object is Invalid naming it (an optional one runs); a group-readable secrets file is
 * not used: the pod referencing it becomes Invalid naming the file, its last good version
 * keeps running.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/index.js';
import { DaemonFixture } from '../daemon/fixture.js';

const SECRET_VALUE = 'daemon-s3cr3t';

function podYaml(name: string, outDir: string, extraEnv = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    command: [/bin/sh, -c, 'echo "$MODE $PASSWORD $CFG_level $(stat -c %a /etc/creds/password) $(grep " /etc/creds " /proc/mounts | cut -d" " -f3)" > /out/report.tmp && mv /out/report.tmp /out/report; exec sleep 1000']
    envFrom:
    - configMapRef: {name: settings}
      prefix: CFG_
    env:
    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
${extraEnv}    volumeMounts:
    - {name: creds, mountPath: /etc/creds}
    - {name: out, mountPath: /out}
  volumes:
  - name: creds
    secret: {secretName: creds, defaultMode: 0440}
  - name: out
    hostPath: {path: ${outDir}, type: DirectoryOrCreate}
`;
}

const settings = (mode: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: ${mode}, level: "7"}\n`;
const CREDS = `apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {password: ${SECRET_VALUE}}\n`;

describe('e2e: rocklet daemon with ConfigMaps and Secrets', () => {
  let d: DaemonFixture;
  let outDir: string;
  const secretsFile = (): string => path.join(d.configDir, 'secrets', 'creds.yaml');

  async function report(previous?: string): Promise<string> {
    const text = await waitFor(async () => {
      const read = await readFile(path.join(outDir, 'report'), 'utf8').catch(() => undefined);
      return read !== undefined && read !== previous ? read.trim() : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    assert.ok(text !== undefined, 'the app wrote its report');
    return text;
  }

  before(async () => {
    d = await DaemonFixture.create('e2e-daemon-config');
    outDir = path.join(d.fx.tmp.path, 'out-web');
    await mkdir(outDir);
    await mkdir(path.join(d.fx.tmp.path, 'out-other'));
    await mkdir(path.join(d.configDir, 'configmaps'), { mode: 0o755 });
    await mkdir(path.join(d.configDir, 'secrets'), { mode: 0o700 });
    await chmod(path.join(d.configDir, 'secrets'), 0o700);
    await writeFile(path.join(d.configDir, 'configmaps', 'settings.yaml'), settings('fast'), { mode: 0o644 });
    await writeFile(secretsFile(), CREDS, { mode: 0o600 });
    await d.writePod('web.yaml', podYaml('web', outDir));
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
  });
  after(() => d?.dispose());

  it('gives the app its ConfigMap and Secret values and the secret file on tmpfs with its mode; the value is shown nowhere else', async () => {
    const row = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
    assert.equal(await report(), `fast ${SECRET_VALUE} 7 440 tmpfs`);
    const listed = await d.rocklet(['--format=json', 'pods']);
    const plan = await d.rocklet(['plan', `--pod-dir=${d.podDir}`]);
    const printed = await d.rocklet(['validate', '--print', path.join(d.podDir, 'web.yaml')]);
    assert.equal(printed.code, 0, printed.stderr);
    for (const output of [listed.stdout, plan.stdout, plan.stderr, printed.stdout, await d.daemonLog()]) assert.doesNotMatch(output, new RegExp(SECRET_VALUE));
    assert.match(plan.stdout, /adopt\s+web\.yaml/, 'rocklet plan binds the shared objects as the daemon does: nothing to change');
    assert.ok(row.uuid !== undefined);
  });

  it('updates the pod exactly once when its ConfigMap changes', async () => {
    const before = await d.waitForRow('web.yaml', (r) => r.state === 'Running');
    const previous = await report();
    await writeFile(path.join(d.configDir, 'configmaps', 'settings.yaml.tmp'), settings('slow'), { mode: 0o644 });
    await (await import('node:fs/promises')).rename(path.join(d.configDir, 'configmaps', 'settings.yaml.tmp'), path.join(d.configDir, 'configmaps', 'settings.yaml'));
    const after = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.uuid !== before.uuid && r.ready?.ready === 1);
    assert.equal(await report(previous), `slow ${SECRET_VALUE} 7 440 tmpfs`);
    assert.notEqual(after.hash, before.hash);
    // A full resync (SIGHUP) finds nothing more to do: the update happened once.
    const reloads = async (): Promise<number> => (await d.daemonLog()).split('\n').filter((line) => line.includes('read the fetch settings of config.yaml again')).length;
    const reloadsBefore = await reloads();
    await d.fx.exec(['systemctl', 'kill', '--signal=SIGHUP', '--kill-who=main', 'rocklet.service']);
    // The resync's own work has begun (it reads config.yaml first); give it time to act.
    assert.ok(await waitFor(async () => ((await reloads()) > reloadsBefore ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const settled = await d.waitForRow('web.yaml', (r) => r.state === 'Running');
    assert.equal(settled.uuid, after.uuid);
    const log = await d.daemonLog();
    assert.equal(log.match(/stopping the old version of pod web/g)?.length, 1, log);
  });

  it('shows a pod naming a missing ConfigMap as Invalid naming it; an optional reference runs', async () => {
    const missingEnv = '    - {name: OTHER, valueFrom: {configMapKeyRef: {name: nowhere, key: k}}}\n';
    await d.writePod('other.yaml', podYaml('other', path.join(d.fx.tmp.path, 'out-other'), missingEnv));
    const invalid = await d.waitForRow('other.yaml', (r) => r.state === 'Invalid');
    assert.match(invalid.reason ?? '', /spec\.containers\[0\]\.env\[2\]: ConfigMap "nowhere" does not exist: write it beside the pod in its file or in <config-dir>\/configmaps\//);
    await d.writePod('other.yaml', podYaml('other', path.join(d.fx.tmp.path, 'out-other'), missingEnv.replace('key: k}', 'key: k, optional: true}')));
    await d.waitForRow('other.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
  });

  it('does not use a group-readable secrets file: the pod is Invalid naming the file, its last good version keeps running', async () => {
    const running = await d.waitForRow('web.yaml', (r) => r.state === 'Running');
    const props = await d.unitProps('rocklet-web_main.service', ['InvocationID']);
    await chmod(secretsFile(), 0o640);
    await writeFile(secretsFile(), CREDS); // a write, so the watch sees the file change as well as its mode
    const invalid = await d.waitForRow('web.yaml', (r) => r.state === 'Invalid' || r.reason?.includes('0640') === true);
    assert.match(invalid.reason ?? '', /Secret "creds" does not exist: .*secrets\/creds\.yaml: the file is mode 0640: Secrets must be readable by root only \(chmod 0600\)/);
    assert.equal(invalid.uuid, running.uuid, 'the last good version keeps running');
    assert.deepEqual(await d.unitProps('rocklet-web_main.service', ['InvocationID']), props);
  });
});
