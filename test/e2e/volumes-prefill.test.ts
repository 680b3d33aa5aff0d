/**
 * e2e: implicit volumes of Docker-style images start with the image's content (Docker's VOLUME
 * semantics), through the built CLI inside a private test systemd. A busybox ACI with a mount
 * point `data` at /var/data holding files: with docker2aci's `appc.io/docker/imageid`
 * annotation, `rocklet run` (and a pod file naming it) shows the app the image's files there,
 * with their modes and owners, and keeps what the app writes in the volume; without the
 * annotation, or with a volume the pod file declares, /var/data is empty (rkt). A pod file with
 * `shareProcessNamespace: true` is refused before any pod exists.
 */
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAci } from '../../src/image/index.js';
import { buildBusyboxRootfs } from '../harness/index.js';
import { RuntimeFixture } from '../pod/runtime/fixture.js';

/** Builds a busybox ACI `name:1` with /var/data (0750, 1000:1000) holding two files, as mount point `data`. */
async function buildDataAci(out: string, name: string, annotations: readonly { name: string; value: string }[]): Promise<void> {
  const dir = `${out}.d`;
  await rm(dir, { recursive: true, force: true });
  const rootfs = path.join(dir, 'rootfs');
  await buildBusyboxRootfs(rootfs);
  const data = path.join(rootfs, 'var/data');
  await mkdir(path.join(data, 'sub'), { recursive: true });
  await writeFile(path.join(data, 'greeting.txt'), 'hello from the image\n');
  await writeFile(path.join(data, 'sub/config'), 'key=value\n');
  await chmod(path.join(data, 'sub/config'), 0o600);
  await chown(path.join(data, 'greeting.txt'), 1000, 1000);
  await chown(data, 1000, 1000);
  await chmod(data, 0o750);
  const manifest = {
    acKind: 'ImageManifest', acVersion: '0.8.11', name,
    labels: [{ name: 'version', value: '1' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
    app: { exec: ['/bin/sh'], user: '0', group: '0', mountPoints: [{ name: 'data', path: '/var/data' }] },
    ...(annotations.length === 0 ? {} : { annotations }),
  };
  await writeFile(path.join(dir, 'manifest'), JSON.stringify(manifest));
  await buildAci(dir, out, { overwrite: true });
  await rm(dir, { recursive: true, force: true });
}

// What the app reports: the volume's content, modes and owners, then it writes a file.
const SHOW = 'ls -A /var/data | tr "\\n" " "; echo; stat -c "%a %u %g %n" /var/data /var/data/greeting.txt /var/data/sub/config 2>&1; '
  + 'cat /var/data/greeting.txt 2>&1; echo from-app > /var/data/new.txt';

describe('e2e: prefilled implicit volumes of Docker-style images', () => {
  let fx: RuntimeFixture;
  let docker: string;
  let plain: string;
  before(async () => {
    fx = await RuntimeFixture.create('e2e-prefill');
    docker = path.join(fx.tmp.path, 'docker.aci');
    plain = path.join(fx.tmp.path, 'plain.aci');
    await buildDataAci(docker, 'docker.io/library/datastore', [
      { name: 'appc.io/docker/imageid', value: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741' },
      { name: 'appc.io/docker/repository', value: 'library/datastore' },
    ]);
    await buildDataAci(plain, 'example.com/datastore', []);
    for (const aci of [docker, plain]) {
      const fetched = await fx.rocklet(['--insecure-options=image', 'fetch', aci]);
      assert.equal(fetched.code, 0, fetched.stderr);
    }
  });
  after(() => fx?.dispose());

  /** The pod dir of `uuid`, wherever the store has it now. */
  async function podDir(uuid: string): Promise<string> {
    for (const state of await readdir(path.join(fx.dataDir, 'pods'))) {
      const entries = await readdir(path.join(fx.dataDir, 'pods', state));
      if (entries.includes(uuid)) return path.join(fx.dataDir, 'pods', state, uuid);
    }
    assert.fail(`pod ${uuid} not found`);
  }

  async function runImage(image: string, label: string): Promise<{ stdout: string; stderr: string; uuid: string }> {
    const uuidFile = path.join(fx.tmp.path, `${label}.uuid`);
    const result = await fx.rocklet(['run', '--net=none', `--uuid-file-save=${uuidFile}`, image, '--exec=/bin/sh', '--', '-c', SHOW]);
    assert.equal(result.code, 0, result.stderr);
    return { stdout: result.stdout, stderr: result.stderr, uuid: (await readFile(uuidFile, 'utf8')).trim() };
  }

  it('rocklet run: the app sees the image\'s files in the implicit volume of a Docker-style image, and what it writes stays there', async () => {
    const { stdout, stderr, uuid } = await runImage('docker.io/library/datastore:1', 'docker');
    assert.equal(stdout, [
      'greeting.txt sub ',
      '750 1000 1000 /var/data',
      '644 1000 1000 /var/data/greeting.txt',
      '600 0 0 /var/data/sub/config',
      'hello from the image',
      '',
    ].join('\n'));
    assert.match(stderr, /implicitly creating an "empty" volume filled with the image's \/var\/data \(Docker image\)/);
    const volume = path.join(await podDir(uuid), 'volumes', 'datastore-data');
    assert.deepEqual((await readdir(volume)).sort(), ['greeting.txt', 'new.txt', 'sub']);
    assert.equal(await readFile(path.join(volume, 'new.txt'), 'utf8'), 'from-app\n');
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('rocklet run: an ACI-native image\'s implicit volume starts empty (rkt)', async () => {
    const { stdout, stderr } = await runImage('example.com/datastore:1', 'plain');
    const lines = stdout.split('\n');
    assert.equal(lines[0], '', 'the volume is empty');
    assert.equal(lines[1], '755 0 0 /var/data');
    assert.match(stdout, /can't stat '\/var\/data\/greeting\.txt'/);
    assert.doesNotMatch(stdout, /hello from the image/);
    assert.doesNotMatch(stderr, /filled with/);
  });

  it('pod file: the implicit volume of a Docker image is prefilled; a volume the file declares starts empty', async () => {
    const file = path.join(fx.tmp.path, 'pod.yaml');
    await writeFile(file, [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: prefill}', 'spec:', '  restartPolicy: Never', '  terminationGracePeriodSeconds: 1',
      '  volumes:', '  - {name: scratch, emptyDir: {}}', '  containers:',
      '  - name: implicit', '    image: datastore:1', `    command: [/bin/sh, -c, 'echo implicit \`cat /var/data/greeting.txt\`']`,
      '  - name: declared', '    image: datastore:1', `    command: [/bin/sh, -c, 'echo declared \`ls -A /var/data | wc -l\`']`,
      '    volumeMounts: [{name: scratch, mountPath: /var/data}]', '',
    ].join('\n'));
    const uuidFile = path.join(fx.tmp.path, 'podfile.uuid');
    const result = await fx.rocklet(['run', '--net=none', `--uuid-file-save=${uuidFile}`, `--pod-file=${file}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.split('\n').filter((line) => line !== '').sort(), ['declared 0', 'implicit hello from the image']);
    const uuid = (await readFile(uuidFile, 'utf8')).trim();
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('refuses a pod file with shareProcessNamespace: true, naming the field, before any pod exists', async () => {
    const listed = async (): Promise<number> => {
      const list = await fx.rocklet(['list', '--no-legend']);
      assert.equal(list.code, 0, list.stderr);
      return list.stdout.split('\n').filter((line) => line.trim() !== '').length;
    };
    const before = await listed();
    const file = path.join(fx.tmp.path, 'shared-pid.yaml');
    await writeFile(file, [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: sharedpid}', 'spec:', '  shareProcessNamespace: true', '  restartPolicy: Never',
      '  containers:', '  - name: one', '    image: datastore:1', '    command: [/bin/true]', '',
    ].join('\n'));
    const result = await fx.rocklet(['run', '--net=none', `--pod-file=${file}`]);
    assert.equal(result.code, 254, result.stderr);
    assert.match(result.stderr, /spec\.shareProcessNamespace: true is not supported: rocklet runs each app in its own PID namespace/);
    assert.match(result.stderr, /rocklet enter --app=APP/);
    assert.equal(result.stdout, '');
    assert.equal(await listed(), before, 'no pod was created');
  });
});
