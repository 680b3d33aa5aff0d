/**
 * End to end: the built `rocklet fetch` against a loopback HTTPS server (self-signed CA, port
 * 443 on a random 127.x.y.z so image names can point at it), real gpg keys and busybox ACIs.
 * Every refused fetch is checked to leave the store as it was.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliResult } from '../cli/run-cli.js';
import { runRocklet } from '../cli/run-cli.js';
import type { GpgKey, HttpsServer, TempDir } from '../harness/index.js';
import { createGpgKey, etagOf, makeTempDir, startHttpsServer } from '../harness/index.js';
import { buildTestAci, discoveryPage, randomLoopbackHost, storeContents, trustKey } from '../image/fetch/helpers.js';

const SHORT = 'sha512-'.length + 32;

describe('e2e: rocklet fetch', () => {
  let tmp: TempDir;
  let server: HttpsServer;
  let signer: GpgKey;
  let stranger: GpgKey;
  let config: string;
  let host: string;
  let appName: string;
  let aci: string;
  let aciBytes: Buffer;
  let ascBytes: Buffer;
  let appId: string;
  let stores = 0;

  before(async () => {
    tmp = await makeTempDir('e2e-fetch');
    server = await startHttpsServer({ host: randomLoopbackHost(), port: 443 });
    host = server.host;
    [signer, stranger] = await Promise.all([createGpgKey({ name: 'e2e signer' }), createGpgKey({ name: 'e2e stranger' })]);
    config = path.join(tmp.path, 'config');
    await mkdir(config);
    const keyFile = path.join(tmp.path, 'signer.asc');
    await writeFile(keyFile, signer.armoredPublicKey);
    const trusted = await runRocklet(['--config-dir', config, 'trust', `--prefix=${host}/org`, '--skip-fingerprint-review', keyFile]);
    assert.equal(trusted.code, 0, trusted.stderr);
    await trustKey(config, stranger, `${host}/elsewhere`);
    appName = `${host}/org/app`;
    aci = path.join(tmp.path, 'app.aci');
    appId = (await buildTestAci(aci, { name: appName, version: '1.0.0' })).id;
    await signer.sign(aci);
    [aciBytes, ascBytes] = await Promise.all([readFile(aci), readFile(`${aci}.asc`)]);
  });
  after(async () => {
    await server.close();
    await Promise.all([signer.remove(), stranger.remove()]);
    await tmp.remove();
  });

  /** A fresh, empty data dir. */
  function newStore(): string {
    return path.join(tmp.path, `data-${++stores}`);
  }

  function fetch(data: string, ...args: string[]): Promise<CliResult> {
    return runRocklet(['--dir', data, '--config-dir', config, 'fetch', `--ca-file=${server.caFile}`, '--stall-timeout=1s', ...args]);
  }

  async function imageIds(data: string): Promise<string[]> {
    const listed = await runRocklet(['--dir', data, 'image', 'list', '--full', '--no-legend', '--fields=id']);
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split('\n').filter((line) => line !== '').map((line) => line.trim());
  }

  /** Runs a fetch that must fail with `code`; the store must be the same before and after. */
  async function refused(data: string, code: string, ...args: string[]): Promise<{ message: string; hint?: string }> {
    const before = { ids: await imageIds(data), files: await storeContents(data) };
    const result = await fetch(data, '--format=json', ...args);
    assert.equal(result.code, 254, `expected ${code}, got exit ${result.code}: ${result.stdout}${result.stderr}`);
    const { error } = JSON.parse(result.stderr.split('\n').filter((line) => line.startsWith('{')).join('')) as { error: { code: string; message: string; hint?: string } };
    assert.equal(error.code, code, error.message);
    assert.deepEqual({ ids: await imageIds(data), files: await storeContents(data) }, before, 'the store changed');
    return error;
  }

  function serveSigned(url: string, extra: { etag?: string; cacheControl?: string } = {}): void {
    server.route(url, { kind: 'bytes', body: aciBytes, ...extra });
    server.route(`${url}.asc`, { kind: 'bytes', body: ascBytes });
  }

  it('imports a local file after checking <file>.asc with a key added by "rocklet trust"', async () => {
    const data = newStore();
    const result = await fetch(data, aci);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${appId.slice(0, SHORT)}\n`);
    assert.match(result.stderr, /^fetch: signature verified: e2e signer/m);
    assert.deepEqual(await imageIds(data), [appId]);
  });

  it('fetches an https URL with URL.asc, trusting the CA from config.yaml', async () => {
    const data = newStore();
    serveSigned('/plain/app.aci');
    const configWithCa = path.join(tmp.path, 'config-ca');
    await mkdir(configWithCa);
    await writeFile(path.join(configWithCa, 'config.yaml'), `tls:\n  caFile: ${server.caFile}\n`);
    await trustKey(configWithCa, signer, `${host}/org`);
    const result = await runRocklet(['--dir', data, '--config-dir', configWithCa, 'fetch', '--full', `${server.origin}/plain/app.aci`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${appId}\n`);
    assert.match(result.stderr, new RegExp(`^fetch: downloading ${server.origin}/plain/app\\.aci \\(`, 'm'));
    assert.match(result.stderr, /^fetch: downloaded /m);
    const untrusted = await runRocklet(['--dir', data, '--config-dir', path.join(tmp.path, 'no-config'), '--format=json', 'fetch', `${server.origin}/plain/app.aci`]);
    assert.match(untrusted.stderr, /"code":"ERR_FETCH_TLS"/);
  });

  it('resolves an appc name by meta discovery, walking up the name', async () => {
    const data = newStore();
    server.route('/org?ac-discovery=1', {
      kind: 'bytes',
      contentType: 'text/html',
      body: discoveryPage([
        { name: 'ac-discovery', content: `${host}/org https://${host}/aci/{name}-{version}-{os}-{arch}.{ext}` },
        { name: 'ac-discovery-pubkeys', content: `${host}/org https://${host}/pubkeys.gpg` },
      ]),
    });
    serveSigned(`/aci/${appName}-1.0.0-linux-amd64.aci`);
    const result = await fetch(data, `${appName}:1.0.0`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${appId.slice(0, SHORT)}\n`);
    assert.equal(server.requestsFor('/org/app?ac-discovery=1').at(-1)?.status, 404);
    assert.equal(server.requestsFor('/org?ac-discovery=1').at(-1)?.status, 200);
    assert.match(result.stderr, new RegExp(`discovered ${appName}:1\\.0\\.0 at https://${host.replace(/\./g, '\\.')}/aci/`));
  });

  it('applies --pull-policy: never (store only), new (store first), update (default: ask)', async () => {
    const data = newStore();
    const name = `${appName}:1.0.0`;
    const discoveries = (): number => server.requestsFor('/org?ac-discovery=1').length;
    const error = await refused(data, 'ERR_IMAGE_NOT_IN_STORE', '--pull-policy=never', name);
    assert.match(error.message, /--pull-policy=never/);
    const start = discoveries();
    assert.equal((await fetch(data, '--pull-policy=new', name)).code, 0);
    assert.equal(discoveries(), start + 1);
    const again = await fetch(data, '--pull-policy=new', name);
    assert.equal(again.stdout, `${appId.slice(0, SHORT)}\n`);
    assert.match(again.stderr, /using image from local store for image name/);
    assert.equal((await fetch(data, '--pull-policy=never', name)).code, 0);
    assert.equal(discoveries(), start + 1);
    assert.equal((await fetch(data, name)).code, 0);
    assert.equal(discoveries(), start + 2);
  });

  it('caches per URL: no request within max-age, a conditional request after (304)', async () => {
    const data = newStore();
    serveSigned('/cache/fresh.aci', { etag: etagOf(aciBytes), cacheControl: 'max-age=3600' });
    assert.equal((await fetch(data, `${server.origin}/cache/fresh.aci`)).code, 0);
    const second = await fetch(data, `${server.origin}/cache/fresh.aci`);
    assert.equal(second.stdout, `${appId.slice(0, SHORT)}\n`);
    assert.match(second.stderr, /isn't expired, not fetching/);
    assert.equal(server.requestsFor('/cache/fresh.aci').length, 1);

    serveSigned('/cache/etag.aci', { etag: etagOf(aciBytes) });
    assert.equal((await fetch(data, `${server.origin}/cache/etag.aci`)).code, 0);
    const revalidated = await fetch(data, `${server.origin}/cache/etag.aci`);
    assert.equal(revalidated.stdout, `${appId.slice(0, SHORT)}\n`);
    assert.match(revalidated.stderr, /not modified \(HTTP 304\)/);
    assert.deepEqual(server.requestsFor('/cache/etag.aci').map((r) => [r.status, r.headers['if-none-match']]), [[200, undefined], [304, etagOf(aciBytes)]]);
  });

  it('resumes a download after the server closed the connection early', async () => {
    const data = newStore();
    const etag = etagOf(aciBytes);
    server.route('/resume/app.aci', { kind: 'close-early', body: aciBytes, afterBytes: Math.floor(aciBytes.length / 2), etag }, { kind: 'bytes', body: aciBytes, etag });
    server.route('/resume/app.aci.asc', { kind: 'bytes', body: ascBytes });
    const error = await refused(data, 'ERR_FETCH_TRUNCATED', `${server.origin}/resume/app.aci`);
    assert.match(error.message, new RegExp(`${server.origin}/resume/app\\.aci: the connection closed after \\d+ of ${aciBytes.length} bytes`));
    const resumed = await fetch(data, `${server.origin}/resume/app.aci`);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.stdout, `${appId.slice(0, SHORT)}\n`);
    assert.match(resumed.stderr, /resuming download of .* at /);
    const retry = server.requestsFor('/resume/app.aci')[1];
    assert.match(retry?.headers.range ?? '', /^bytes=[1-9]\d*-$/);
    assert.equal(retry?.headers['if-range'], etag);
    assert.equal(retry?.status, 206);
  });

  it('fails a stalled download with ERR_FETCH_STALLED, and HTTP errors with the URL and status', async () => {
    const data = newStore();
    server.route('/stall/app.aci', { kind: 'stall', body: aciBytes, afterBytes: 4096 });
    const stalled = await refused(data, 'ERR_FETCH_STALLED', `${server.origin}/stall/app.aci`);
    assert.match(stalled.message, /no data for 1 s/);
    const missing = await refused(data, 'ERR_FETCH_NOT_FOUND', `${server.origin}/nothing/here.aci`);
    assert.equal(missing.message, `${server.origin}/nothing/here.aci: not found (HTTP 404 Not Found)`);
    server.route('/broken/app.aci', { kind: 'status', status: 500 });
    const broken = await refused(data, 'ERR_FETCH_HTTP', `${server.origin}/broken/app.aci`);
    assert.match(broken.message, /HTTP 500 Internal Server Error/);
  });

  it('refuses a discovered image whose labels do not match the request', async () => {
    const data = newStore();
    server.route('/org?ac-discovery=1', {
      kind: 'bytes',
      body: discoveryPage([{ name: 'ac-discovery', content: `${host}/org https://${host}/wrong/{name}.{ext}` }]),
    });
    serveSigned(`/wrong/${appName}.aci`);
    const error = await refused(data, 'ERR_IMAGE_MISMATCH', `${appName}:2.0.0`);
    assert.match(error.message, /requested value for label "version" \("2\.0\.0"\) differs from the image's "1\.0\.0"/);
  });

  it('refuses unsigned images unless --insecure-options=image, and says so', async () => {
    const data = newStore();
    server.route('/unsigned/app.aci', { kind: 'bytes', body: aciBytes });
    const error = await refused(data, 'ERR_SIGNATURE_MISSING', `${server.origin}/unsigned/app.aci`);
    assert.match(error.message, new RegExp(`looked for ${server.origin}/unsigned/app\\.aci\\.asc \\(HTTP 404 Not Found\\)`));
    assert.match(error.hint ?? '', /--insecure-options=image/);
    const local = path.join(tmp.path, 'unsigned.aci');
    await writeFile(local, aciBytes);
    await refused(data, 'ERR_SIGNATURE_MISSING', local);
    const accepted = await runRocklet(['--dir', data, '--config-dir', config, '--insecure-options=image', 'fetch', `--ca-file=${server.caFile}`, `${server.origin}/unsigned/app.aci`]);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stderr, /^fetch: warning: signature verification disabled \(--insecure-options=image\)$/m);
    assert.deepEqual(await imageIds(data), [appId]);
  });

  it('refuses an image modified after signing, a key trusted for another prefix and an unknown key', async () => {
    const data = newStore();
    const modified = path.join(tmp.path, 'modified.aci');
    await buildTestAci(modified, { name: appName, marker: 'as signed' });
    await signer.sign(modified);
    await buildTestAci(modified, { name: appName, marker: 'modified later' });
    await refused(data, 'ERR_SIGNATURE_BAD', modified);

    const elsewhere = path.join(tmp.path, 'elsewhere.aci');
    await buildTestAci(elsewhere, { name: `${host}/elsewhere/app` });
    await signer.sign(elsewhere);
    await refused(data, 'ERR_SIGNATURE_KEY_WRONG_PREFIX', elsewhere);

    const unknown = await createGpgKey({ name: 'nobody trusts me' });
    try {
      const byUnknown = path.join(tmp.path, 'unknown.aci');
      await writeFile(byUnknown, aciBytes);
      await unknown.sign(byUnknown);
      await refused(data, 'ERR_SIGNATURE_UNKNOWN_KEY', byUnknown);
    } finally {
      await unknown.remove();
    }
  });

  it('refuses plain http unless --insecure-options=http', async () => {
    const data = newStore();
    const plain = await startHttpsServer({ tls: false });
    try {
      plain.route('/app.aci', { kind: 'bytes', body: aciBytes });
      plain.route('/app.aci.asc', { kind: 'bytes', body: ascBytes });
      const error = await refused(data, 'ERR_FETCH_INSECURE', `${plain.origin}/app.aci`);
      assert.match(error.hint ?? '', /--insecure-options=http/);
      const allowed = await runRocklet(['--dir', data, '--config-dir', config, '--insecure-options=http', 'fetch', `${plain.origin}/app.aci`]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(plain.requestsFor('/app.aci.asc').length, 1);
    } finally {
      await plain.close();
    }
  });

  it('two fetch processes importing the same image at once get the same ID and one store entry', async () => {
    const data = newStore();
    // A body that takes a while, so both processes are fetching at the same time.
    server.route('/slow/app.aci', { kind: 'bytes', body: aciBytes, etag: etagOf(aciBytes), delayMs: 400 });
    server.route('/slow/app.aci.asc', { kind: 'bytes', body: ascBytes });
    const url = `${server.origin}/slow/app.aci`;
    const [first, second] = await Promise.all([fetch(data, '--full', url), fetch(data, '--full', url)]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(first.stdout, `${appId}\n`);
    assert.equal(second.stdout, `${appId}\n`);
    // The URL's lock makes the second wait; it then revalidates what the first stored.
    assert.deepEqual(server.requestsFor('/slow/app.aci').map((r) => r.status), [200, 304]);
    const [third, fourth] = await Promise.all([fetch(data, '--full', aci), fetch(data, '--full', aci)]);
    assert.deepEqual([third.stdout, fourth.stdout], [`${appId}\n`, `${appId}\n`], `${third.stderr}${fourth.stderr}`);
    assert.deepEqual(await imageIds(data), [appId]);
    const files = await storeContents(data);
    assert.equal(files.index.length, 1);
    assert.equal(files.blobs.length, 1);
    assert.deepEqual(files.tmp, []);
  });
});
