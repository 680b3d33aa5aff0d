/**
 * End to end: the built `rocklet prepare`, `list` and `cat-manifest` on a real store in a temp
 * --dir, with real busybox ACIs (the image layer's buildAci) and real gpg keys. Every refused
 * prepare is checked to leave no pod behind.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliResult } from '../cli/run-cli.js';
import { runRocklet } from '../cli/run-cli.js';
import type { GpgKey, TempDir } from '../harness/index.js';
import { createGpgKey, makeTempDir } from '../harness/index.js';
import { trustKey } from '../image/fetch/helpers.js';
import { SERVER_APP, buildAppAci } from '../pod/runtime/aci.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('e2e: rocklet prepare, list, cat-manifest', () => {
  let tmp: TempDir;
  let signer: GpgKey;
  let config: string;
  let server: string;
  let serverId: string;
  let plain: string;
  let stores = 0;

  before(async () => {
    tmp = await makeTempDir('e2e-prepare');
    signer = await createGpgKey({ name: 'e2e prepare signer' });
    config = path.join(tmp.path, 'config');
    await mkdir(config);
    await trustKey(config, signer, 'example.com');
    server = path.join(tmp.path, 'server.aci');
    serverId = await buildAppAci(server, { name: 'example.com/server', version: '2.1.0', app: SERVER_APP });
    await signer.sign(server);
    plain = path.join(tmp.path, 'plain.aci');
    await buildAppAci(plain, { name: 'example.com/tools/plain' });
  });
  after(async () => {
    await signer.remove();
    await tmp.remove();
  });

  function newData(): string {
    return path.join(tmp.path, `data-${++stores}`);
  }

  function rocklet(data: string, ...args: string[]): Promise<CliResult> {
    return runRocklet(['--dir', data, '--config-dir', config, ...args]);
  }

  async function listed(data: string): Promise<string[]> {
    const result = await rocklet(data, 'list', '--no-legend', '--full');
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.split('\n').filter((line) => line.trim() !== '');
  }

  async function manifestOf(data: string, uuid: string): Promise<{ apps: { name: string; image: { id: string }; app: { exec: string[]; environment: { name: string; value: string }[] } }[] }> {
    const result = await rocklet(data, 'cat-manifest', '--pretty-print=false', uuid);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as never;
  }

  /** A prepare that must fail with `exit` and `code`; no pod may be left. */
  async function refused(exit: number, code: string, message: RegExp, ...args: string[]): Promise<void> {
    const data = newData();
    const result = await rocklet(data, '--format=json', 'prepare', ...args);
    assert.equal(result.code, exit, `${result.stdout}${result.stderr}`);
    const line = result.stderr.split('\n').find((candidate) => candidate.startsWith('{"error"'));
    const { error } = JSON.parse(line ?? '{}') as { error: { code: string; message: string } };
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    assert.equal(result.stdout, '');
    assert.deepEqual(await listed(data), []);
  }

  it('prepares a signed image, prints its UUID, and list and cat-manifest show the pod', async () => {
    const data = newData();
    const result = await rocklet(data, 'prepare', server, '--name=web', '--memory=64M', '--', '-v');
    assert.equal(result.code, 0, result.stderr);
    const uuid = result.stdout.trim();
    assert.match(uuid, UUID);
    assert.equal(result.stdout, `${uuid}\n`);
    assert.match(result.stderr, /^prepare: signature verified: e2e prepare signer/m);
    assert.match(result.stderr, /no volume specified for mount point "www" of app "web", implicitly creating an "empty" volume/);
    const rows = await listed(data);
    assert.equal(rows.length, 1);
    assert.match(rows[0] ?? '', new RegExp(`^${uuid}\\s+web\\s+example\\.com/server:2\\.1\\.0\\s+${serverId.slice(0, 19)}\\s+prepared\\s`));
    const pretty = await rocklet(data, 'cat-manifest', uuid.slice(0, 8));
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.match(pretty.stdout, /^\{\n\t"acVersion": "0\.8\.11",\n\t"acKind": "PodManifest",/);
    const manifest = await manifestOf(data, uuid);
    assert.deepEqual(manifest.apps.map((a) => [a.name, a.image.id, a.app.exec]), [['web', serverId, ['/bin/httpd', '-f', '-p', '80', '-v']]]);
    const uuidFile = path.join(tmp.path, 'uuid-of-first');
    await writeFile(uuidFile, uuid);
    const viaFile = await rocklet(data, 'cat-manifest', `--uuid-file=${uuidFile}`, '--pretty-print=false');
    assert.equal(viaFile.stdout, (await rocklet(data, 'cat-manifest', '--pretty-print=false', uuid)).stdout);
  });

  it('parses several images with per-app flags, -- args and ---, and --quiet prints only the UUID', async () => {
    const data = newData();
    const envFile = path.join(tmp.path, 'env');
    await writeFile(envFile, '# shared\nFROM_FILE=1\nSHARED=file\n');
    const result = await rocklet(
      data, '--insecure-options=image', 'prepare', '--quiet', `--set-env-file=${envFile}`, '--set-env=SHARED=set', '--uuid-file-save', path.join(tmp.path, 'saved'),
      server, '--environment=SHARED=app', '--', 'a', '--', 'b', '---', plain, '--exec=/bin/echo', '--', 'hello',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const uuid = result.stdout.trim();
    assert.equal(await readFile(path.join(tmp.path, 'saved'), 'utf8'), uuid);
    const manifest = await manifestOf(data, uuid);
    assert.deepEqual(manifest.apps.map((a) => [a.name, a.app.exec]), [['server', ['/bin/httpd', '-f', '-p', '80', 'a', '--', 'b']], ['plain', ['/bin/echo', 'hello']]]);
    assert.deepEqual(manifest.apps[0]?.app.environment, [
      { name: 'FROM_IMAGE', value: 'yes' }, { name: 'FROM_FILE', value: '1' }, { name: 'SHARED', value: 'app' }, { name: 'AC_APP_NAME', value: 'server' },
    ]);
    assert.equal((await listed(data)).length, 2, 'two rows: one per app');
  });

  it('refuses an unsigned image (254) and accepts it with --insecure-options=image', async () => {
    await refused(254, 'ERR_SIGNATURE_MISSING', /no signature found for .*plain\.aci/, plain);
    const data = newData();
    const result = await rocklet(data, '--insecure-options=image', 'prepare', plain);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /prepare: warning: signature verification disabled/);
    assert.match((await listed(data))[0] ?? '', /\bplain\s+example\.com\/tools\/plain:1\.0\.0\s.*\bprepared\b/);
  });

  it('reproduces a pod from its manifest: cat-manifest > pod.json; prepare --pod-manifest=pod.json', async () => {
    const data = newData();
    const first = await rocklet(data, 'prepare', '--quiet', server, '--exec=/bin/true');
    assert.equal(first.code, 0, first.stderr);
    const file = path.join(tmp.path, 'again.json');
    await writeFile(file, (await rocklet(data, 'cat-manifest', first.stdout.trim())).stdout);
    const second = await rocklet(data, 'prepare', '--quiet', `--pod-manifest=${file}`);
    assert.equal(second.code, 0, second.stderr);
    const [a, b] = [await manifestOf(data, first.stdout.trim()), await manifestOf(data, second.stdout.trim())];
    assert.deepEqual(b.apps.map((x) => [x.name, x.image.id, x.app.exec]), a.apps.map((x) => [x.name, x.image.id, x.app.exec]));
  });

  it('refuses bad input with a clear message and leaves no pod', async () => {
    const missing = path.join(tmp.path, 'no-such-dir');
    await refused(254, 'ERR_VOLUME_SOURCE_MISSING', new RegExp(`^volume "www": host path "${missing}" does not exist$`), `--volume=www,kind=host,source=${missing}`, server);
    await refused(254, 'ERR_DUPLICATE_APP_NAME', /^duplicate app name "server"/, server, server);
    await refused(2, 'ERR_FLAG_CONFLICT', /^conflicting flags set with --pod-manifest \(see --help\)$/, '--pod-manifest=pod.json', server);
    await refused(2, 'ERR_FLAG_CONFLICT', /^--port flag does not work with 'host' networking$/, '--net=host', '--port=http:8080', server);
    await refused(254, 'ERR_PORT_UNKNOWN', /^port name "https" is not declared by the image of any app$/, '--port=https:8443', server);
    await refused(2, 'ERR_FLAG_VALUE', /^invalid value "12XB" for --memory: not a quantity$/, server, '--memory=12XB');
    await refused(2, 'ERR_FLAG_VALUE', /^invalid value "1001" for --oom-score-adj/, server, '--oom-score-adj=1001');
    const data = newData();
    const badUuid = await rocklet(data, 'cat-manifest', 'zz-not-a-uuid');
    assert.equal(badUuid.code, 254);
    assert.match(badUuid.stderr, /invalid UUID "zz-not-a-uuid"/);
  });
});
