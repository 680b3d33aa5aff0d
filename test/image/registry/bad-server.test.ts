import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FetchSettings } from '../../../src/image/index.js';
import type { Descriptor, RegistryEvent } from '../../../src/image/registry/index.js';
import { digestOf, mediaTypes, parseDigest, partialPath, RegistryClient } from '../../../src/image/registry/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { HttpsServer, TempDir } from '../../harness/index.js';
import { makeTempDir, startHttpsServer } from '../../harness/index.js';
import { fileDigest, filesIn, testSettings } from './helpers.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function descriptorOf(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length };
}

/** Serves `bytes` as a manifest with the given headers. */
function manifestRoute(bytes: Buffer, headers: Record<string, string>) {
  return { kind: 'handler' as const, handle: (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(200, { 'content-length': bytes.length, ...headers }).end(bytes) };
}

describe('registry client against a misbehaving registry (TLS with a test CA)', () => {
  let server: HttpsServer;
  let tmp: TempDir;
  let settings: FetchSettings;
  let client: RegistryClient;
  /** The same registry with a 0.5 s stall deadline, for the stall tests only (the others get 10 s: a loaded machine's pauses are not stalls). */
  let impatientClient: RegistryClient;
  const layer = randomBytes(300_000);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: mediaTypes.OCI_MANIFEST,
    config: descriptorOf(mediaTypes.OCI_CONFIG, config), layers: [descriptorOf('application/vnd.oci.image.layer.v1.tar', layer)],
  }));
  const blob = (bytes: Buffer): string => `/v2/bad/app/blobs/${sha256(bytes)}`;
  let serial = 0;
  /** A fresh destination path in the temp dir. */
  const dest = (): string => path.join(tmp.path, `blob-${++serial}`);

  before(async () => {
    server = await startHttpsServer();
    tmp = await makeTempDir('registry-bad');
    settings = await testSettings(tmp.path, '10s', server.caFile);
    client = new RegistryClient({ registry: `${server.host}:${server.port}`, settings });
    impatientClient = new RegistryClient({ registry: `${server.host}:${server.port}`, settings: await testSettings(tmp.path, '500ms', server.caFile) });
    server.route('/v2/', { kind: 'handler', handle: (_req, res) => void res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}') });
    server.route('/v2/bad/app/manifests/good', manifestRoute(manifest, { 'content-type': mediaTypes.OCI_MANIFEST, 'docker-content-digest': sha256(manifest) }));
    server.route('/v2/bad/app/manifests/lying', manifestRoute(manifest, { 'content-type': mediaTypes.OCI_MANIFEST, 'docker-content-digest': sha256(config) }));
    server.route(`/v2/bad/app/manifests/${sha256(config)}`, manifestRoute(manifest, { 'content-type': mediaTypes.OCI_MANIFEST }));
    server.route('/v2/bad/app/manifests/old', manifestRoute(Buffer.from('{"schemaVersion":1,"name":"bad/app","tag":"old","fsLayers":[]}'), { 'content-type': mediaTypes.DOCKER_SCHEMA1_SIGNED }));
    server.route('/v2/none/app/manifests/latest', { kind: 'status', status: 404, body: '{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}' });
    server.route(blob(config), { kind: 'bytes', body: config });
  });
  after(async () => {
    await server.close();
    await tmp.remove();
  });

  it('verifies TLS against the configured CA; without it only an insecure registry connects', async () => {
    assert.equal((await client.ping()).apiVersion, 'registry/2.0');
    const untrusting = await testSettings(tmp.path, '500ms');
    await assert.rejects(new RegistryClient({ registry: `${server.host}:${server.port}`, settings: untrusting }).ping(), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_TLS'));
    assert.equal((await new RegistryClient({ registry: `${server.host}:${server.port}`, settings: untrusting, insecure: true }).ping()).apiVersion, 'registry/2.0');
  });

  it('uses a manifest only when it matches its digest (by tag: Docker-Content-Digest; by digest: the reference)', async () => {
    const good = await client.resolveImage('bad/app', 'good');
    assert.equal(good.digest, sha256(manifest));
    assert.deepEqual(good.config.config.cmd, ['/bin/sh']);
    await assert.rejects(client.getManifest('bad/app', 'lying'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_MANIFEST_DIGEST'));
    await assert.rejects(client.getManifest('bad/app', sha256(config)), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_MANIFEST_DIGEST'));
  });

  it('sends the Accept list of every manifest type it decodes, and walks nested indexes', async () => {
    const entry = (mediaType: string, bytes: Buffer) => ({ ...descriptorOf(mediaType, bytes), platform: { os: 'linux', architecture: 'amd64' } });
    const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.OCI_INDEX, manifests: [entry(mediaTypes.OCI_MANIFEST, manifest)] }));
    const outer = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.DOCKER_MANIFEST_LIST, manifests: [entry(mediaTypes.OCI_INDEX, inner)] }));
    server.route('/v2/bad/app/manifests/nested', manifestRoute(outer, { 'content-type': mediaTypes.DOCKER_MANIFEST_LIST }));
    server.route(`/v2/bad/app/manifests/${sha256(inner)}`, manifestRoute(inner, { 'content-type': mediaTypes.OCI_INDEX }));
    server.route(`/v2/bad/app/manifests/${sha256(manifest)}`, manifestRoute(manifest, { 'content-type': mediaTypes.OCI_MANIFEST }));
    const image = await client.resolveImage('bad/app', 'nested', { platform: { os: 'linux', architecture: 'amd64' } });
    assert.deepEqual(image.indexDigests, [sha256(outer), sha256(inner)]);
    assert.equal(image.digest, sha256(manifest));
    assert.equal(server.requestsFor('/v2/bad/app/manifests/nested')[0]?.headers.accept, mediaTypes.MANIFEST_ACCEPT);
  });

  it('downloads three blobs at once by default', async () => {
    const blobs = Array.from({ length: 5 }, () => randomBytes(5_000));
    for (const bytes of blobs) server.route(blob(bytes), { kind: 'bytes', body: bytes, delayMs: 1_500 }); // long enough for all three to be under way on a slow machine
    let running = 0;
    let most = 0;
    const onEvent = (event: RegistryEvent): void => {
      if (event.kind === 'blob-start') most = Math.max(most, ++running);
      if (event.kind === 'blob-done') running--;
    };
    const targets = blobs.map((bytes) => ({ descriptor: descriptorOf('application/octet-stream', bytes), dest: dest() }));
    await client.fetchBlobs('bad/app', targets, { onEvent });
    assert.equal(most, 3);
    for (const target of targets) assert.equal(await fileDigest(target.dest), target.descriptor.digest);
  });

  it('refuses oversized manifests, artifacts that are not images, and redirects to plain HTTP', async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    server.route('/v2/bad/app/manifests/huge', manifestRoute(huge, { 'content-type': mediaTypes.OCI_MANIFEST }));
    await assert.rejects(client.getManifest('bad/app', 'huge'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_TOO_LARGE'));
    const artifact = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: mediaTypes.OCI_MANIFEST, config: descriptorOf('application/vnd.example.sbom.config+json', config), layers: [],
    }));
    server.route('/v2/bad/app/manifests/sbom', manifestRoute(artifact, { 'content-type': mediaTypes.OCI_MANIFEST }));
    await assert.rejects(client.resolveImage('bad/app', 'sbom'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_NOT_AN_IMAGE'));
    server.route('/v2/bad/app/manifests/downgrade', { kind: 'redirect', location: `http://${server.host}:${server.port}/elsewhere` });
    await assert.rejects(client.getManifest('bad/app', 'downgrade'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_INSECURE'));
  });

  it('refuses schema 1 and reports NAME_UNKNOWN from the error body', async () => {
    await assert.rejects(client.getManifest('bad/app', 'old'), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_REGISTRY_SCHEMA1'), String(error));
      assert.match(error.message, /schema 1/);
      return true;
    });
    await assert.rejects(client.getManifest('none/app', 'latest'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_NAME_UNKNOWN'));
  });

  it('retries 503 and 429 answers (Retry-After honoured), then gives up with ERR_REGISTRY_UNAVAILABLE', async () => {
    const busy = { kind: 'handler' as const, handle: (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(429, { 'retry-after': '0' }).end() };
    server.route('/v2/bad/app/manifests/busy', { kind: 'status', status: 503 }, busy, manifestRoute(manifest, { 'content-type': mediaTypes.OCI_MANIFEST }));
    assert.equal((await client.getManifest('bad/app', 'busy')).digest, sha256(manifest));
    assert.deepEqual(server.requestsFor('/v2/bad/app/manifests/busy').map((r) => r.status), [503, 429, 200]);
    server.route('/v2/bad/app/manifests/down', { kind: 'status', status: 503 });
    const impatient = new RegistryClient({ registry: `${server.host}:${server.port}`, settings, retries: 1 });
    await assert.rejects(impatient.getManifest('bad/app', 'down'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_UNAVAILABLE'));
    assert.equal(server.requestsFor('/v2/bad/app/manifests/down').length, 2);
  });

  it('keeps a truncated blob as .partial only, and resumes it with Range', async () => {
    const descriptor = descriptorOf('application/octet-stream', layer);
    server.route(blob(layer), { kind: 'close-early', body: layer, afterBytes: 100_000 }, { kind: 'bytes', body: layer });
    const target = { descriptor, dest: dest() };
    await assert.rejects(client.fetchBlob('bad/app', target), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_BLOB_TRUNCATED'));
    assert.deepEqual(await filesIn(tmp.path).then((names) => names.filter((n) => n.startsWith(path.basename(target.dest)))), [path.basename(partialPath(target.dest))]);
    // What the client had read when the connection closed is kept (bytes still buffered in its
    // stream at the cut are not: the count is the client's, not the 100,000 the server sent).
    const kept = await readFile(partialPath(target.dest));
    assert.ok(kept.length > 0 && kept.length <= 100_000, `kept ${kept.length} bytes`);
    assert.ok(kept.equals(layer.subarray(0, kept.length)), 'the partial file is a prefix of the blob');

    const events: RegistryEvent[] = [];
    await client.fetchBlob('bad/app', target, { onEvent: (event) => events.push(event) });
    assert.equal(await fileDigest(target.dest), descriptor.digest);
    await assert.rejects(stat(partialPath(target.dest)), { code: 'ENOENT' });
    const requests = server.requestsFor(blob(layer));
    assert.equal(requests.at(-1)?.headers.range, `bytes=${kept.length}-`);
    assert.equal(requests.at(-1)?.status, 206);
    assert.ok(events.some((e) => e.kind === 'blob-start' && e.resumeFrom === kept.length));
  });

  it('finishes a complete partial file without the network, and replaces a wrong one', async () => {
    const content = randomBytes(20_000);
    const descriptor = descriptorOf('application/octet-stream', content);
    const whole = { descriptor, dest: dest() };
    await writeFile(partialPath(whole.dest), content);
    await client.fetchBlob('bad/app', whole);
    assert.equal(await fileDigest(whole.dest), descriptor.digest);
    assert.equal(server.requestsFor(blob(content)).length, 0);
    server.route(blob(content), { kind: 'bytes', body: content });
    const wrong = { descriptor, dest: dest() };
    await writeFile(partialPath(wrong.dest), randomBytes(20_000));
    await client.fetchBlob('bad/app', wrong);
    assert.equal(await fileDigest(wrong.dest), descriptor.digest);
    assert.equal(server.requestsFor(blob(content)).at(-1)?.headers.range, undefined);
  });

  it('starts over when the registry ignores the Range of a kept partial download', async () => {
    const content = randomBytes(120_000);
    const descriptor = descriptorOf('application/octet-stream', content);
    server.route(blob(content), { kind: 'close-early', body: content, afterBytes: 40_000 }, { kind: 'bytes', body: content, ranges: false });
    const target = { descriptor, dest: dest() };
    await assert.rejects(client.fetchBlob('bad/app', target), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_BLOB_TRUNCATED'));
    const events: RegistryEvent[] = [];
    await client.fetchBlob('bad/app', target, { onEvent: (event) => events.push(event) });
    assert.equal(await fileDigest(target.dest), descriptor.digest);
    assert.equal(server.requestsFor(blob(content)).at(-1)?.status, 200);
    assert.ok(events.some((e) => e.kind === 'blob-restart'));
    assert.ok(events.some((e) => e.kind === 'blob-start' && e.resumeFrom === 0));
  });

  it('fails a stalled download after the stall timeout, keeping what arrived', async () => {
    const other = randomBytes(200_000);
    const descriptor = descriptorOf('application/octet-stream', other);
    server.route(blob(other), { kind: 'stall', body: other, afterBytes: 50_000 }, { kind: 'bytes', body: other });
    const target = { descriptor, dest: dest() };
    const started = Date.now();
    await assert.rejects(impatientClient.fetchBlob('bad/app', target), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_STALLED'));
    assert.ok(Date.now() - started < 5_000);
    assert.equal((await stat(partialPath(target.dest))).size, 50_000);
    await assert.rejects(stat(target.dest), { code: 'ENOENT' });
    await client.fetchBlob('bad/app', target);
    assert.equal(await fileDigest(target.dest), descriptor.digest);
  });

  it('stops when the caller aborts, keeping the partial download', async () => {
    const content = randomBytes(100_000);
    server.route(blob(content), { kind: 'stall', body: content, afterBytes: 30_000 });
    const controller = new AbortController();
    const target = { descriptor: descriptorOf('application/octet-stream', content), dest: dest() };
    const onEvent = (event: RegistryEvent): void => {
      if (event.kind === 'blob-progress' && event.bytes === 30_000) controller.abort(new Error('the user gave up'));
    };
    await assert.rejects(client.fetchBlobs('bad/app', [target], { signal: controller.signal, onEvent }), /the user gave up/);
    assert.equal((await stat(partialPath(target.dest))).size, 30_000);
    await assert.rejects(stat(target.dest), { code: 'ENOENT' });
  });

  it('deletes a blob whose content does not match its digest, or that is longer than declared', async () => {
    const claimed = randomBytes(10_000);
    const served = randomBytes(10_000);
    server.route(blob(claimed), { kind: 'bytes', body: served });
    const target = { descriptor: descriptorOf('application/octet-stream', claimed), dest: dest() };
    await assert.rejects(client.fetchBlob('bad/app', target), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_REGISTRY_BLOB_DIGEST'), String(error));
      assert.ok(error.message.includes(sha256(claimed)));
      return true;
    });
    const short = randomBytes(5_000);
    server.route(blob(short), { kind: 'bytes', body: Buffer.concat([short, randomBytes(5_000)]) });
    const longer = { descriptor: descriptorOf('application/octet-stream', short), dest: dest() };
    await assert.rejects(client.fetchBlob('bad/app', longer), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_BLOB_SIZE'));
    for (const file of [target.dest, partialPath(target.dest), longer.dest, partialPath(longer.dest)]) {
      await assert.rejects(stat(file), { code: 'ENOENT' }, file);
    }
  });

  it('follows a blob redirect to another host without the registry credentials', async () => {
    const content = randomBytes(1_000);
    const demandBasic = (next: (res: ServerResponse) => void) => ({
      kind: 'handler' as const,
      handle: (req: IncomingMessage, res: ServerResponse) => {
        if (req.headers.authorization === undefined) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
        next(res);
      },
    });
    server.route(blob(content), demandBasic((res) => void res.writeHead(307, { location: `https://localhost:${server.port}/cdn/blob` }).end()));
    server.route('/cdn/blob', { kind: 'bytes', body: content });
    const withCredentials = new RegistryClient({ registry: `${server.host}:${server.port}`, settings, credentials: new Map([[`${server.host}:${server.port}`, { username: 'u', password: 'p' }]]) });
    const target = { descriptor: { mediaType: 'application/octet-stream', digest: parseDigest(sha256(content), 'test'), size: content.length }, dest: dest() };
    await withCredentials.fetchBlob('bad/app', target);
    assert.equal(await fileDigest(target.dest), target.descriptor.digest);
    assert.equal(server.requestsFor(blob(content)).at(-1)?.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
    assert.equal(server.requestsFor('/cdn/blob').at(-1)?.headers.authorization, undefined);
  });
});
