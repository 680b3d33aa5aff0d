/**
 * e2e: system-pod fields under standalone `rocklet run --pod-file` (no systemd unit around the
 * pod, so the supervisor applies them): a native sidecar runs beside the app and is stopped after
 * it (the pod's code is the app's); an OOM score this process cannot set is skipped with a
 * message instead of failing crun (issue 12's EACCES), and applied where it can be; a tty app
 * without a terminal on stdin runs without one, saying so; hostIPC shares the instance's IPC
 * namespace. Nothing is left behind.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAppAci } from '../pod/runtime/aci.js';
import { RuntimeFixture } from '../pod/runtime/fixture.js';

const CAP_SYS_RESOURCE_BIT = 24n;

describe('e2e: system pods under rocklet run', () => {
  let fx: RuntimeFixture;
  let files = 0;
  before(async () => {
    fx = await RuntimeFixture.create('e2e-run-system-pods');
    const aci = path.join(fx.tmp.path, 'busybox.aci');
    await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '1.36' });
    const fetched = await fx.rocklet(['--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
  });
  after(() => fx?.dispose());

  async function run(yaml: string): Promise<{ code: number | null; stdout: string; stderr: string; uuid: string }> {
    const file = path.join(fx.tmp.path, `pod-${++files}.yaml`);
    await writeFile(file, yaml);
    const uuidFile = `${file}.uuid`;
    const result = await fx.rocklet(['run', `--uuid-file-save=${uuidFile}`, `--pod-file=${file}`]);
    return { ...result, uuid: (await readFile(uuidFile, 'utf8')).trim() };
  }

  it('a sidecar runs beside the app and is stopped after it; an OOM score that cannot be set is skipped, saying so', async () => {
    const result = await run([
      'apiVersion: v1', 'kind: Pod',
      'metadata: {name: side, annotations: {rocklet.io/oom-score-adj: "-100"}}',
      'spec:', '  restartPolicy: Never', '  terminationGracePeriodSeconds: 10',
      '  initContainers:',
      '  - name: proxy', '    image: busybox:1.36', '    restartPolicy: Always',
      `    command: [/bin/sh, -c, 'echo sidecar-up; trap "echo sidecar-stopped; exit 0" TERM; while true; do sleep 0.2; done']`,
      '  containers:',
      '  - name: app', '    image: busybox:1.36', '    tty: true',
      `    command: [/bin/sh, -c, 'sleep 1; echo app-score \`cat /proc/self/oom_score_adj\`; exit 0']`, '',
    ].join('\n'));
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n').filter((l) => l !== '');
    assert.deepEqual(lines.filter((l) => !l.startsWith('app-score')), ['sidecar-up', 'sidecar-stopped'], `${result.stdout}\n${result.stderr}`);
    assert.ok(lines.indexOf('sidecar-up') < lines.findIndex((l) => l.startsWith('app-score')));
    assert.ok(lines.findIndex((l) => l.startsWith('app-score')) < lines.indexOf('sidecar-stopped'));
    const status = await fx.exec(['grep', 'CapEff', '/proc/self/status']);
    const canLower = (BigInt(`0x${status.stdout.split(/\s+/)[1] ?? '0'}`) >> CAP_SYS_RESOURCE_BIT) & 1n;
    if (canLower) assert.ok(lines.includes('app-score -100'), result.stdout);
    else {
      assert.match(result.stderr, /app "app": cannot lower the OOM score adjustment to -100 without CAP_SYS_RESOURCE; it keeps the inherited one/);
      assert.match(result.stderr, /app "proxy": cannot lower/);
    }
    assert.match(result.stderr, /app "app" asks for a tty, but stdin is not a terminal: it runs without one/);
    assert.deepEqual(await fx.leftovers(result.uuid), []);
  });

  it('hostIPC: the app sees the instance\'s IPC namespace', async () => {
    const own = await fx.exec(['readlink', '/proc/self/ns/ipc']);
    assert.equal(own.code, 0, own.stderr);
    const yaml = (host: boolean): string => [
      'apiVersion: v1', 'kind: Pod', `metadata: {name: ipc${host ? 'host' : 'own'}}`,
      'spec:', '  restartPolicy: Never', `  hostIPC: ${host}`, '  containers:',
      '  - name: main', '    image: busybox:1.36', `    command: [/bin/sh, -c, 'readlink /proc/self/ns/ipc']`, '',
    ].join('\n');
    const shared = await run(yaml(true));
    assert.equal(shared.code, 0, shared.stderr);
    assert.equal(shared.stdout.trim(), own.stdout.trim());
    const separate = await run(yaml(false));
    assert.equal(separate.code, 0, separate.stderr);
    assert.notEqual(separate.stdout.trim(), own.stdout.trim());
  });
});
