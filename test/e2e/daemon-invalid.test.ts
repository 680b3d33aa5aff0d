/**
 * e2e: every kind of broken pod file (formats.md §4: syntax, structure, unsupported and
 * invalid fields), each written over a running pod's file, and editors' save patterns. For each
 * broken version `rocklet pods` shows the file's own error (file:line:column or the file's
 * problem) while the last good version keeps running untouched (same InvocationID and main
 * PID); putting the good text back changes nothing. Each editor save pattern (vim, emacs,
 * sed -i, cp over, truncate then write, rename from a temp file) gives exactly one update.
 */
import assert from 'node:assert/strict';
import { copyFile, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/index.js';
import { DaemonFixture } from '../daemon/fixture.js';

const GOOD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    command: [/bin/sh, -c, 'exec sleep 1000']
    resources:
      limits:
        memory: 64Mi
`;

/** [what, the broken text, what its reason must say]. */
const BROKEN: readonly (readonly [string, string, RegExp])[] = [
  ['empty file', '', /empty file/],
  ['only a comment', '# nothing here\n', /no document/],
  ['tab indentation', GOOD.replace('  name: web', '\tname: web'), /tabs are not allowed/],
  ['YAML syntax', GOOD.replace('kind: Pod', 'kind: "Pod'), /yaml syntax error/],
  ['broken JSON', '{"apiVersion": "v1", "kind": "Pod",', /web\.yaml:\d+:\d+: .*(json|JSON)/],
  ['duplicate key', GOOD.replace('    image: busybox:1.36\n', '    image: busybox:1.36\n    image: busybox:1.36\n'), /duplicate key "image"/],
  ['two documents', `${GOOD}---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n`, /one pod per file: found 2 documents that are not ConfigMaps or Secrets \(Pod, Service\)/],
  ['a Deployment', GOOD.replace('kind: Pod', 'kind: Deployment'), /Deployment/],
  ['apiVersion v2', GOOD.replace('apiVersion: v1', 'apiVersion: v2'), /apiVersion/],
  ['no containers', GOOD.slice(0, GOOD.indexOf('  containers:')), /spec\.containers/],
  ['unknown field', GOOD.replace('  restartPolicy: Always', '  restartPolicy: Always\n  colour: blue'), /spec\.colour/],
  ['bad pod name', GOOD.replace('name: web', 'name: Web_1'), /metadata\.name/],
  ['bad container name', GOOD.replace('- name: main', '- name: Main'), /spec\.containers\[0\]\.name/],
  ['empty image', GOOD.replace('image: busybox:1.36', "image: ''"), /spec\.containers\[0\]\.image/],
  ['bad restartPolicy', GOOD.replace('restartPolicy: Always', 'restartPolicy: Sometimes'), /spec\.restartPolicy/],
  ['negative grace period', GOOD.replace('terminationGracePeriodSeconds: 1', 'terminationGracePeriodSeconds: -1'), /terminationGracePeriodSeconds/],
  ['bad memory quantity', GOOD.replace('memory: 64Mi', 'memory: lots'), /limits\.memory/],
  ['command not a list', GOOD.replace("command: [/bin/sh, -c, 'exec sleep 1000']", 'command: 3'), /spec\.containers\[0\]\.command/],
  ['hostPort out of range', GOOD.replace('    resources:', '    ports:\n    - {containerPort: 80, hostPort: 70000}\n    resources:'), /hostPort/],
  ['unknown protocol', GOOD.replace('    resources:', '    ports:\n    - {containerPort: 80, protocol: ICMP}\n    resources:'), /protocol/],
  ['duplicate container names', GOOD.replace('    resources:', "  - name: main\n    image: busybox:1.36\n    resources:"), /name/],
  ['mount of a missing volume', GOOD.replace('    resources:', '    volumeMounts:\n    - {name: data, mountPath: /data}\n    resources:'), /volumeMounts/],
  ['relative hostPath', `${GOOD}  volumes:\n  - name: data\n    hostPath: {path: rel/dir}\n`, /hostPath/],
  ['bad env name', GOOD.replace('    resources:', "    env:\n    - {name: '1X', value: v}\n    resources:"), /env/],
  ['label key invalid', GOOD.replace('    app: web', "    '-bad': web"), /labels/],
  ['privileged without privilege escalation', GOOD.replace('    resources:', '    securityContext: {privileged: true, allowPrivilegeEscalation: false}\n    resources:'), /cannot be false while privileged is true/],
  ['nodeName of another machine', GOOD.replace('  restartPolicy: Always', '  nodeName: some-other-host\n  restartPolicy: Always'), /nodeName/],
  ['wrong type for labels', GOOD.replace('  labels:\n    app: web', '  labels: [web]'), /metadata\.labels/],
  ['a number as pod name', GOOD.replace('name: web', 'name: 42'), /metadata\.name/],
  ['cpu quantity', GOOD.replace('memory: 64Mi', 'memory: 64Mi\n        cpu: fast'), /limits\.cpu/],
];

describe('e2e: rocklet daemon keeps the last good version over every broken edit', () => {
  let d: DaemonFixture;
  let good: Record<string, string>;
  const file = (): string => path.join(d.podDir, 'web.yaml');
  before(async () => {
    d = await DaemonFixture.create('e2e-daemon-invalid');
    await d.writePod('web.yaml', GOOD);
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
    await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
    good = await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']);
  });
  after(() => d?.dispose());

  for (const [what, text, reason] of BROKEN) {
    it(`${what}: Invalid with its own error, the pod untouched`, async () => {
      await d.writePod('web.yaml', text);
      const row = await d.waitForRow('web.yaml', (r) => r.state === 'Invalid' && reason.test(r.reason ?? ''), 15_000);
      assert.match(row.reason ?? '', /last good version keeps running/);
      assert.deepEqual(await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']), good);
    });
  }

  it('takes the good text back without restarting anything', async () => {
    await d.writePod('web.yaml', GOOD);
    await d.waitForRow('web.yaml', (r) => r.state === 'Running');
    assert.deepEqual(await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']), good);
    assert.doesNotMatch(await d.daemonLog(), /updating pod web/);
  });

  /** Each save pattern writes a new sleep duration; exactly one update must follow. */
  const SAVES: readonly (readonly [string, (text: string) => Promise<void>])[] = [
    ['vim (write test file, rename to backup, write, remove backup)', async (text) => {
      await writeFile(path.join(d.podDir, '4913'), '');
      await rm(path.join(d.podDir, '4913'));
      await rename(file(), `${file()}~`);
      await writeFile(file(), text);
      await rm(`${file()}~`);
    }],
    ['emacs (lock link, backup copy, write in place)', async (text) => {
      await writeFile(path.join(d.podDir, '.#web.yaml'), 'root@host.1234');
      await copyFile(file(), `${file()}~`);
      await writeFile(file(), text);
      await rm(path.join(d.podDir, '.#web.yaml'));
    }],
    ['sed -i (temp file renamed over)', async (text) => {
      const temp = path.join(d.podDir, 'sedAbC123');
      await writeFile(temp, text);
      await rename(temp, file());
    }],
    ['cp over the file', async (text) => {
      const source = path.join(d.fx.tmp.path, 'copy-source.yaml');
      await writeFile(source, text);
      await copyFile(source, file());
    }],
    ['truncate, then write in two parts', async (text) => {
      const handle = await open(file(), 'r+');
      try {
        await handle.truncate(0);
        await handle.write(text.slice(0, 40), 0);
        await handle.write(text.slice(40), 40);
      } finally {
        await handle.close();
      }
    }],
    ['rename from a temp file in another directory', async (text) => {
      await d.writePod('web.yaml', text);
    }],
  ];

  let seconds = 2000;
  for (const [pattern, save] of SAVES) {
    it(`${pattern}: exactly one update`, async () => {
      const updatesBefore = (await d.daemonLog()).split('\n').filter((line) => line.includes('updating pod web')).length;
      seconds++;
      await save(GOOD.replace('sleep 1000', `sleep ${seconds}`));
      const row = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
      const running = await waitFor(async () => {
        const status = await d.fx.exec(['systemctl', 'status', '--no-pager', 'rocklet-web.slice']);
        return status.stdout.includes(`sleep ${seconds}`) ? true : undefined;
      }, { timeoutMs: 20_000, intervalMs: 100 });
      assert.ok(running, `the new version runs: ${JSON.stringify(row)}`);
      await new Promise((resolve) => setTimeout(resolve, 500)); // a late second update would show by now
      const updates = (await d.daemonLog()).split('\n').filter((line) => line.includes('updating pod web')).length;
      assert.equal(updates - updatesBefore, 1, await d.daemonLog());
      assert.equal((await d.pods()).pods.length, 1, 'backups and temp files are no pod files');
    });
  }
});
