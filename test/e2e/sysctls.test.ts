/**
 * e2e: a pod file's namespaced sysctls (`spec.securityContext.sysctls`) take effect. `rocklet
 * run --pod-file` of a two-app busybox pod inside a private test systemd (whose own network
 * namespace plays the host): both apps read the values from /proc/sys, the instance's own
 * values stay as they were, cat-manifest shows them as the appc pod isolator. Refused: any
 * sysctl with stage1 fly and net.* with --net=host (at plan time, no pod left), and a value
 * the kernel rejects (the app cannot start; the error names the sysctl; nothing left behind).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAppAci } from '../pod/runtime/aci.js';
import { RuntimeFixture } from '../pod/runtime/fixture.js';

/** Network and IPC sysctls with values other than the kernel's defaults (1024, 0, 8192). */
const SYSCTLS = [['net.ipv4.ip_unprivileged_port_start', '0'], ['kernel.shm_rmid_forced', '1'], ['kernel.msgmax', '16384']] as const;
const FILES = SYSCTLS.map(([name]) => `/proc/sys/${name.replaceAll('.', '/')}`);
// Backquotes, as `$(…)` in a pod file's command is Kubernetes' variable syntax; cat, as busybox
// `read` takes a sysctl file byte by byte and the kernel answers a read past offset 0 with nothing.
const READ = `\`cat ${FILES.join(' ')}\``;

interface PodFileOptions {
  readonly sysctls: readonly (readonly [string, string])[];
  readonly apps: readonly string[];
}

function podYaml(name: string, options: PodFileOptions): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: {name: ${name}}`,
    'spec:',
    '  restartPolicy: Never',
    '  terminationGracePeriodSeconds: 1',
    '  securityContext:',
    '    sysctls:',
    ...options.sysctls.map(([key, value]) => `    - {name: ${key}, value: "${value}"}`),
    '  containers:',
    ...options.apps.flatMap((app) => [
      `  - name: ${app}`,
      '    image: busybox:1.36',
      `    command: [/bin/sh, -c, 'echo ${app} ${READ}']`,
    ]),
    '',
  ].join('\n');
}

describe('e2e: pod sysctls', () => {
  let fx: RuntimeFixture;
  let files = 0;
  before(async () => {
    fx = await RuntimeFixture.create('e2e-sysctls');
    // A pod file names a Docker image; one imported under its store name (docker.io/library/busybox, version 1.36) runs.
    const aci = path.join(fx.tmp.path, 'busybox.aci');
    await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '1.36' });
    const fetched = await fx.rocklet(['--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
  });
  after(() => fx?.dispose());

  async function podFile(name: string, options: PodFileOptions): Promise<string> {
    const file = path.join(fx.tmp.path, `pod-${++files}.yaml`);
    await writeFile(file, podYaml(name, options));
    return file;
  }

  /** The instance's own values (its network namespace plays the host's). */
  async function instanceValues(): Promise<string> {
    const read = await fx.exec(['cat', ...FILES]);
    assert.equal(read.code, 0, read.stderr);
    return read.stdout;
  }

  async function podCount(): Promise<number> {
    const listed = await fx.rocklet(['list', '--no-legend']);
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split('\n').filter((line) => line.trim() !== '').length;
  }

  it('sets the sysctls in the pod\'s network and IPC namespaces, seen by every app, and leaves the instance\'s alone', async () => {
    const outside = await instanceValues();
    const values = SYSCTLS.map(([, value]) => value);
    assert.notDeepEqual(outside.split('\n').slice(0, -1), values, 'the instance has other values, so the test can fail');
    const file = await podFile('sysctls', { sysctls: SYSCTLS, apps: ['one', 'two'] });
    const uuidFile = path.join(fx.tmp.path, 'good.uuid');
    const result = await fx.rocklet(['run', `--uuid-file-save=${uuidFile}`, `--pod-file=${file}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.split('\n').filter((line) => line !== '').sort(), [`one ${values.join(' ')}`, `two ${values.join(' ')}`]);
    assert.equal(await instanceValues(), outside);
    const uuid = (await readFile(uuidFile, 'utf8')).trim();
    const manifest = await fx.rocklet(['cat-manifest', '--pretty-print=false', uuid]);
    assert.equal(manifest.code, 0, manifest.stderr);
    assert.deepEqual((JSON.parse(manifest.stdout) as { isolators: unknown }).isolators, [
      { name: 'os/unix/sysctl', value: Object.fromEntries(SYSCTLS) },
    ]);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('refuses any sysctl with stage1 fly, and net.* with --net=host, before a pod exists, naming it', async () => {
    const outside = await instanceValues();
    const before = await podCount();
    const file = await podFile('flysysctl', { sysctls: [['kernel.shm_rmid_forced', '1']], apps: ['one'] });
    const result = await fx.rocklet(['run', '--stage1=fly', `--pod-file=${file}`]);
    assert.equal(result.code, 254, result.stderr);
    assert.match(result.stderr, /sysctl "kernel\.shm_rmid_forced" cannot be set with stage1 fly: its app runs in the host's namespaces, so it would change the host/);
    assert.equal(result.stdout, '');
    const netFile = await podFile('hostnet', { sysctls: [['net.ipv4.ip_unprivileged_port_start', '0']], apps: ['one'] });
    const hostNet = await fx.rocklet(['run', '--net=host', `--pod-file=${netFile}`]);
    assert.equal(hostNet.code, 254, hostNet.stderr);
    assert.match(hostNet.stderr, /sysctl "net\.ipv4\.ip_unprivileged_port_start" would change the host's network settings \(the pod uses the host network\)/);
    assert.equal(await podCount(), before, 'no pod was prepared');
    assert.equal(await instanceValues(), outside);
  });

  it('fails to start an app whose sysctl value the kernel rejects, naming the sysctl, and leaves nothing behind', async () => {
    const outside = await instanceValues();
    const file = await podFile('badvalue', { sysctls: [['net.ipv4.ip_unprivileged_port_start', 'not-a-number']], apps: ['one'] });
    const uuidFile = path.join(fx.tmp.path, 'bad.uuid');
    const result = await fx.rocklet(['run', `--uuid-file-save=${uuidFile}`, `--pod-file=${file}`]);
    assert.equal(result.code, 254, result.stderr);
    assert.match(result.stderr, /write to \/proc\/sys\/net\/ipv4\/ip_unprivileged_port_start: Invalid argument/);
    assert.doesNotMatch(result.stdout, /one /, 'the app did not run');
    const uuid = (await readFile(uuidFile, 'utf8')).trim();
    assert.deepEqual(await fx.leftovers(uuid), []);
    assert.equal(await instanceValues(), outside);
  });
});
