import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FetchEvent, ImageFetcherOptions, PullPolicy } from '../../../src/image/index.js';
import { ImageFetcher, ImageStore, loadFetchSettings } from '../../../src/image/index.js';
import type { InsecureFeature } from '../../../src/util/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { GpgKey, HttpsServer, TempDir } from '../../harness/index.js';
import { createGpgKey, etagOf, makeTempDir, startHttpsServer } from '../../harness/index.js';
import { buildTestAci, discoveryPage, randomLoopbackHost, storeContents, trustKey } from './helpers.js';

describe('fetch/fetcher: files, URLs, names, policies and signatures', () => {
  let tmp: TempDir;
  let server: HttpsServer;
  let signer: GpgKey;
  let stranger: GpgKey;
  let configDir: string;
  let dataDir: string;
  let store: ImageStore;
  let name: string;
  let aci: string;
  let aciBytes: Buffer;
  let aciId: string;

  before(async () => {
    tmp = await makeTempDir('fetcher');
    server = await startHttpsServer({ host: randomLoopbackHost(), port: 443 });
    [signer, stranger] = await Promise.all([createGpgKey({ name: 'fetch signer' }), createGpgKey({ name: 'stranger' })]);
    configDir = path.join(tmp.path, 'config');
    dataDir = path.join(tmp.path, 'data');
    name = `${server.host}/org/app`;
    await trustKey(configDir, signer, `${server.host}/org`);
    store = await ImageStore.open(dataDir);
    aci = path.join(tmp.path, 'app.aci');
    aciId = (await buildTestAci(aci, { name, version: '1.0.0' })).id;
    await signer.sign(aci);
    aciBytes = await readFile(aci);
  });
  after(async () => {
    await server.close();
    await Promise.all([signer.remove(), stranger.remove()]);
    await tmp.remove();
  });

  async function fetcher(pullPolicy: PullPolicy = 'update', insecure: InsecureFeature[] = [], events: FetchEvent[] = []): Promise<ImageFetcher> {
    const options: ImageFetcherOptions = {
      store, configDir, pullPolicy, insecure: new Set(insecure), onEvent: (event) => events.push(event),
      settings: await loadFetchSettings(configDir, { caFile: server.caFile, stallTimeout: '1s' }),
    };
    return new ImageFetcher(options);
  }

  async function emptyStore(): Promise<void> {
    for (const record of await store.list()) await store.remove(record.id);
  }

  it('imports a signed file after verifying <file>.asc, and reports the signer', async () => {
    await emptyStore();
    const events: FetchEvent[] = [];
    const result = await (await fetcher('never', [], events)).fetch(aci);
    assert.equal(result.record.id, aciId);
    assert.equal(result.origin, 'file');
    assert.equal(result.verified?.fingerprint, signer.fingerprint.toLowerCase());
    assert.equal(result.verified?.trustedFor, `${server.host}/org`);
    assert.deepEqual(events.map((e) => e.kind).filter((kind) => kind !== 'import-progress'), ['file', 'signature-verified']);
    // The unpacking reports come after the check (the verified copy is what is unpacked), ending with the whole tar.
    const unpacked = events.slice(2);
    assert.ok(unpacked.length > 0 && unpacked.every((e) => e.kind === 'import-progress' && e.source === aci), JSON.stringify(unpacked));
    const last = unpacked.at(-1);
    assert.equal(last?.kind === 'import-progress' ? last.bytes : 0, result.record.sizeBytes);
  });

  it('uses --signature instead of <file>.asc', async () => {
    const copy = path.join(tmp.path, 'copy.aci');
    await writeFile(copy, aciBytes);
    const sig = await signer.sign(copy, path.join(tmp.path, 'elsewhere.sig'));
    const result = await (await fetcher()).fetch(copy, { signatureFile: sig });
    assert.equal(result.record.id, aciId);
    await assert.rejects((await fetcher()).fetch(copy), (error) => hasErrorCode(error, 'ERR_SIGNATURE_MISSING') && error.message.includes(`${copy}.asc`));
  });

  it('refuses an unsigned file, bad signatures, unknown and wrongly scoped keys, leaving the store unchanged', async () => {
    await emptyStore();
    const before = await storeContents(dataDir);
    const unsigned = path.join(tmp.path, 'unsigned.aci');
    await writeFile(unsigned, aciBytes);
    await assert.rejects((await fetcher()).fetch(unsigned), (error) => hasErrorCode(error, 'ERR_SIGNATURE_MISSING') && error.hint?.includes('--insecure-options=image') === true);

    const modified = path.join(tmp.path, 'modified.aci');
    await buildTestAci(modified, { name, marker: 'original' });
    await signer.sign(modified);
    await buildTestAci(modified, { name, marker: 'tampered' });
    await assert.rejects((await fetcher()).fetch(modified), (error) => hasErrorCode(error, 'ERR_SIGNATURE_BAD'));

    const byStranger = path.join(tmp.path, 'stranger.aci');
    await writeFile(byStranger, aciBytes);
    await stranger.sign(byStranger);
    await assert.rejects((await fetcher()).fetch(byStranger), (error) => hasErrorCode(error, 'ERR_SIGNATURE_UNKNOWN_KEY'));

    const elsewhere = path.join(tmp.path, 'elsewhere.aci');
    await buildTestAci(elsewhere, { name: `${server.host}/other/app` });
    await signer.sign(elsewhere);
    await assert.rejects((await fetcher()).fetch(elsewhere), (error) => hasErrorCode(error, 'ERR_SIGNATURE_KEY_WRONG_PREFIX'));
    assert.deepEqual(await storeContents(dataDir), before);

    const accepted = await (await fetcher('update', ['image'])).fetch(unsigned);
    assert.equal(accepted.record.id, aciId);
    assert.equal(accepted.verified, undefined);
  });

  it('downloads a signed URL, then serves it from the cache within max-age and revalidates with the ETag', async () => {
    await emptyStore();
    server.route('/cached.aci', { kind: 'bytes', body: aciBytes, etag: etagOf(aciBytes), cacheControl: 'max-age=3600' });
    server.route('/cached.aci.asc', { kind: 'bytes', body: await readFile(`${aci}.asc`) });
    const url = `${server.origin}/cached.aci`;
    const first = await (await fetcher()).fetch(url);
    assert.equal(first.origin, 'download');
    assert.equal(first.record.id, aciId);
    const events: FetchEvent[] = [];
    const second = await (await fetcher('update', [], events)).fetch(url);
    assert.equal(second.origin, 'cache');
    assert.deepEqual(events, [{ kind: 'cache-hit', url, imageId: aciId, reason: 'fresh' }]);
    assert.equal(server.requestsFor('/cached.aci').length, 1);

    server.route('/etag.aci', { kind: 'bytes', body: aciBytes, etag: etagOf(aciBytes) });
    server.route('/etag.aci.asc', { kind: 'bytes', body: await readFile(`${aci}.asc`) });
    await (await fetcher()).fetch(`${server.origin}/etag.aci`);
    const revalidated = await (await fetcher()).fetch(`${server.origin}/etag.aci`);
    assert.equal(revalidated.origin, 'cache');
    const requests = server.requestsFor('/etag.aci');
    assert.deepEqual(requests.map((r) => r.status), [200, 304]);
    assert.equal(requests[1]?.headers['if-none-match'], etagOf(aciBytes));
    assert.equal(server.requestsFor('/etag.aci.asc').length, 1);
  });

  it('does not revalidate a copy fetched without verification into a verified fetch', async () => {
    await emptyStore();
    server.route('/insecure.aci', { kind: 'bytes', body: aciBytes, etag: etagOf(aciBytes), cacheControl: 'max-age=3600' });
    server.route('/insecure.aci.asc', { kind: 'bytes', body: await readFile(`${aci}.asc`) });
    await (await fetcher('update', ['image'])).fetch(`${server.origin}/insecure.aci`);
    const verified = await (await fetcher()).fetch(`${server.origin}/insecure.aci`);
    assert.equal(verified.origin, 'download');
    assert.ok(verified.verified !== undefined);
    assert.equal(server.requestsFor('/insecure.aci.asc').length, 1);
  });

  it('applies pull policies: never (store only), new (store first), update (ask the remote)', async () => {
    await emptyStore();
    const discovery = `/org?ac-discovery=1`;
    server.route(discovery, {
      kind: 'bytes',
      body: discoveryPage([{ name: 'ac-discovery', content: `${server.host}/org https://${server.host}/pool/{name}-{version}-{os}-{arch}.{ext}` }]),
    });
    const file = `/pool/${name}-1.0.0-linux-amd64.aci`;
    server.route(file, { kind: 'bytes', body: aciBytes });
    server.route(`${file}.asc`, { kind: 'bytes', body: await readFile(`${aci}.asc`) });
    await assert.rejects((await fetcher('never')).fetch(`${name}:1.0.0`), (error) => hasErrorCode(error, 'ERR_IMAGE_NOT_IN_STORE'));
    assert.equal(server.requestsFor(discovery).length, 0);

    const events: FetchEvent[] = [];
    const fetched = await (await fetcher('new', [], events)).fetch(`${name}:1.0.0`);
    assert.equal(fetched.origin, 'download');
    assert.deepEqual(events.filter((e) => e.kind === 'discovered'), [{ kind: 'discovered', name: `${name}:1.0.0`, url: `${server.origin}${file}` }]);
    assert.equal(server.requestsFor(discovery).length, 1);

    assert.equal((await (await fetcher('new')).fetch(`${name}:1.0.0`)).origin, 'store');
    assert.equal((await (await fetcher('never')).fetch(name)).origin, 'store');
    assert.equal(server.requestsFor(discovery).length, 1);
    await (await fetcher('update')).fetch(`${name}:1.0.0`);
    assert.equal(server.requestsFor(discovery).length, 2);
    assert.equal((await (await fetcher('never')).fetch(aciId.slice(0, 20))).record.id, aciId);
  });

  it('refuses a discovered image whose labels do not match the request', async () => {
    await emptyStore();
    server.route('/org?ac-discovery=1', {
      kind: 'bytes',
      body: discoveryPage([{ name: 'ac-discovery', content: `${server.host}/org https://${server.host}/liar/{name}.{ext}` }]),
    });
    server.route(`/liar/${name}.aci`, { kind: 'bytes', body: aciBytes });
    server.route(`/liar/${name}.aci.asc`, { kind: 'bytes', body: await readFile(`${aci}.asc`) });
    const before = await storeContents(dataDir);
    await assert.rejects((await fetcher()).fetch(`${name}:2.0.0`), (error) => {
      assert.ok(hasErrorCode(error, 'ERR_IMAGE_MISMATCH'));
      assert.match(error.message, /requested value for label "version" \("2\.0\.0"\) differs from the image's "1\.0\.0"/);
      return true;
    });
    await assert.rejects((await fetcher()).fetch(`${name},arch=aarch64`), (error) => hasErrorCode(error, 'ERR_IMAGE_MISMATCH') && error.message.includes('"arch"'));
    assert.deepEqual(await storeContents(dataDir), before);
  });

  it('fetches missing dependencies by discovery', async () => {
    await emptyStore();
    const baseName = `${server.host}/org/base`;
    const base = path.join(tmp.path, 'base.aci');
    const baseId = (await buildTestAci(base, { name: baseName, version: '3.0.0' })).id;
    await signer.sign(base);
    const top = path.join(tmp.path, 'top.aci');
    await buildTestAci(top, { name: `${server.host}/org/top`, dependencies: [{ imageName: baseName, labels: [{ name: 'version', value: '3.0.0' }] }] });
    await signer.sign(top);
    server.route('/org?ac-discovery=1', {
      kind: 'bytes',
      body: discoveryPage([{ name: 'ac-discovery', content: `${server.host}/org https://${server.host}/deps/{name}-{version}.{ext}` }]),
    });
    server.route(`/deps/${baseName}-3.0.0.aci`, { kind: 'bytes', body: await readFile(base) });
    server.route(`/deps/${baseName}-3.0.0.aci.asc`, { kind: 'bytes', body: await readFile(`${base}.asc`) });
    const events: FetchEvent[] = [];
    await (await fetcher('update', [], events)).fetch(top);
    assert.ok(events.some((e) => e.kind === 'dependency' && e.name === baseName));
    assert.equal((await store.list()).find((record) => record.id === baseId)?.name, baseName);
  });
});
