import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { DownloadResult } from '../../../src/image/fetch/download.js';
import { download, maxAgeOf } from '../../../src/image/fetch/download.js';
import type { FetchEvent } from '../../../src/image/fetch/events.js';
import type { HttpContext } from '../../../src/image/fetch/http-client.js';
import { remotePaths, readPartialMeta } from '../../../src/image/fetch/remote-cache.js';
import type { RemotePaths } from '../../../src/image/fetch/remote-cache.js';
import { loadFetchSettings } from '../../../src/image/fetch/settings.js';
import { StoreLayout } from '../../../src/image/store/store-layout.js';
import type { InsecureFeature } from '../../../src/util/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { HttpsServer, TempDir } from '../../harness/index.js';
import { etagOf, makeTempDir, startHttpsServer } from '../../harness/index.js';

describe('fetch/download', () => {
  let server: HttpsServer;
  let tmp: TempDir;
  let layout: StoreLayout;
  let context: HttpContext;
  let serial = 0;
  const body = randomBytes(300_000);

  before(async () => {
    server = await startHttpsServer();
    tmp = await makeTempDir('download');
    layout = new StoreLayout(tmp.path);
    await layout.create();
    const settings = await loadFetchSettings(tmp.path, { caFile: server.caFile, stallTimeout: '1s' });
    context = { settings, insecure: new Set() };
  });
  after(async () => {
    await server.close();
    await tmp.remove();
  });

  /** A fresh path on the server and its store paths. */
  async function fresh(): Promise<{ path: string; url: URL; paths: RemotePaths }> {
    const p = `/images/${++serial}.aci`;
    const url = new URL(`${server.origin}${p}`);
    return { path: p, url, paths: await remotePaths(layout, url.href) };
  }

  async function expectComplete(result: DownloadResult, expected: Buffer): Promise<void> {
    assert.equal(result.kind, 'complete');
    if (result.kind !== 'complete') return;
    assert.equal(result.bytes, expected.length);
    assert.ok((await readFile(result.file)).equals(expected));
  }

  it('downloads a body with its validators and max-age, reporting progress', async () => {
    const { path, url, paths } = await fresh();
    const lastModified = new Date('2024-01-02T03:04:05Z');
    server.route(path, { kind: 'bytes', body, etag: etagOf(body), lastModified, cacheControl: 'public, max-age=600' });
    const events: FetchEvent[] = [];
    const result = await download(url, paths, { ...context, onEvent: (event) => events.push(event) });
    await expectComplete(result, body);
    assert.equal(result.kind === 'complete' && result.etag, etagOf(body));
    assert.equal(result.kind === 'complete' && result.lastModified, lastModified.toUTCString());
    assert.equal(result.kind === 'complete' && result.maxAgeSeconds, 600);
    assert.deepEqual(events[0], { kind: 'download-start', url: url.href, totalBytes: body.length, resumeFrom: 0 });
    assert.deepEqual(events.at(-1), { kind: 'download-done', url: url.href, bytes: body.length });
    assert.ok(events.some((e) => e.kind === 'download-progress'));
  });

  it('sends the stored validators and reports 304 as not modified', async () => {
    const { path, url, paths } = await fresh();
    server.route(path, { kind: 'bytes', body, etag: '"v1"', cacheControl: 'max-age=5' });
    const result = await download(url, paths, { ...context, cached: { etag: '"v1"' } });
    assert.deepEqual(result, { kind: 'not-modified', maxAgeSeconds: 5 });
    assert.equal(server.requestsFor(path)[0]?.headers['if-none-match'], '"v1"');
    assert.equal((await download(url, paths, { ...context, cached: { etag: '"v0"' } })).kind, 'complete');
  });

  it('keeps what arrived when the connection closes early and resumes with Range + If-Range', async () => {
    const { path, url, paths } = await fresh();
    const etag = etagOf(body);
    server.route(path, { kind: 'close-early', body, afterBytes: 100_000, etag }, { kind: 'bytes', body, etag });
    await assert.rejects(download(url, paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_TRUNCATED') && /closed after \d+ of 300000 bytes/.test(error.message));
    const kept = (await stat(paths.part)).size;
    assert.ok(kept > 0 && kept <= 100_000, `kept ${kept} bytes`);
    assert.equal((await readPartialMeta(paths, url.href))?.etag, etag);
    const events: FetchEvent[] = [];
    await expectComplete(await download(url, paths, { ...context, onEvent: (e) => events.push(e) }), body);
    const second = server.requestsFor(path)[1];
    assert.equal(second?.headers.range, `bytes=${kept}-`);
    assert.equal(second?.headers['if-range'], etag);
    assert.equal(second?.status, 206);
    assert.deepEqual(events[0], { kind: 'download-start', url: url.href, totalBytes: body.length, resumeFrom: kept });
  });

  it('discards the partial when the validators changed (If-Range fails: 200)', async () => {
    const { path, url, paths } = await fresh();
    const other = randomBytes(200_000);
    server.route(path, { kind: 'close-early', body, afterBytes: 50_000, etag: '"old"' }, { kind: 'bytes', body: other, etag: '"new"' });
    await assert.rejects(download(url, paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_TRUNCATED'));
    const events: FetchEvent[] = [];
    await expectComplete(await download(url, paths, { ...context, onEvent: (e) => events.push(e) }), other);
    assert.equal(server.requestsFor(path)[1]?.status, 200);
    assert.ok(events.some((e) => e.kind === 'download-restart'));
  });

  it('starts over when the server ignores Range', async () => {
    const { path, url, paths } = await fresh();
    const etag = etagOf(body);
    server.route(path, { kind: 'close-early', body, afterBytes: 50_000, etag }, { kind: 'bytes', body, etag, ranges: false });
    await assert.rejects(download(url, paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_TRUNCATED'));
    await expectComplete(await download(url, paths, context), body);
    assert.match(server.requestsFor(path)[1]?.headers.range ?? '', /^bytes=\d+-$/);
    assert.equal(server.requestsFor(path)[1]?.status, 200);
  });

  it('does not resume a partial without a validator', async () => {
    const { path, url, paths } = await fresh();
    server.route(path, { kind: 'close-early', body, afterBytes: 50_000 }, { kind: 'bytes', body });
    await assert.rejects(download(url, paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_TRUNCATED'));
    await expectComplete(await download(url, paths, context), body);
    assert.equal(server.requestsFor(path)[1]?.headers.range, undefined);
  });

  it('fails a stalled body after the no-progress timeout and keeps the partial', async () => {
    const { path, url, paths } = await fresh();
    server.route(path, { kind: 'stall', body, afterBytes: 20_000, etag: etagOf(body) });
    await assert.rejects(download(url, paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_STALLED') && error.message.includes(url.href));
    assert.equal((await stat(paths.part)).size, 20_000);
  });

  it('is not limited in total time: a slow body that keeps moving completes', async () => {
    const { path, url, paths } = await fresh();
    const slow = randomBytes(12 * 1024);
    server.route(path, {
      kind: 'handler',
      handle: (_req, res: ServerResponse) => {
        res.writeHead(200, { 'content-length': slow.length });
        let sent = 0;
        // 6 pieces, 300 ms apart: 1.5 s in all, longer than the 1 s stall timeout.
        const timer = setInterval(() => {
          res.write(slow.subarray(sent, sent + 2048));
          sent += 2048;
          if (sent >= slow.length) {
            clearInterval(timer);
            res.end();
          }
        }, 300);
      },
    });
    await expectComplete(await download(url, paths, context), slow);
  });

  it('maps 404 to ERR_FETCH_NOT_FOUND and 500 to ERR_FETCH_HTTP, naming the URL', async () => {
    const missing = await fresh();
    await assert.rejects(download(missing.url, missing.paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_NOT_FOUND') && error.message.includes(missing.url.href) && error.message.includes('404'));
    const failing = await fresh();
    server.route(failing.path, { kind: 'status', status: 500 });
    await assert.rejects(download(failing.url, failing.paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_HTTP') && error.category === 'unavailable' && error.message.includes('HTTP 500'));
  });

  it('follows redirects but never from https to plain http', async () => {
    const target = await fresh();
    server.route(target.path, { kind: 'bytes', body });
    const hop = await fresh();
    server.route(hop.path, { kind: 'redirect', location: target.path });
    await expectComplete(await download(hop.url, hop.paths, context), body);
    const down = await fresh();
    server.route(down.path, { kind: 'redirect', location: `http://127.0.0.1:${server.port}${target.path}` });
    await assert.rejects(download(down.url, down.paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_INSECURE') && /leaves HTTPS/.test(error.message));
    const loop = await fresh();
    server.route(loop.path, { kind: 'redirect', location: loop.path });
    await assert.rejects(download(loop.url, loop.paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_TOO_MANY_REDIRECTS'));
  });

  it('refuses an untrusted certificate unless tls is insecure, and plain http unless allowed', async () => {
    const { path, url, paths } = await fresh();
    server.route(path, { kind: 'bytes', body });
    const untrusted: HttpContext = { settings: await loadFetchSettings(tmp.path, { stallTimeout: '1s' }), insecure: new Set() };
    await assert.rejects(download(url, paths, untrusted), (error) => hasErrorCode(error, 'ERR_FETCH_TLS') && error.hint?.includes('--ca-file') === true);
    await expectComplete(await download(url, paths, { ...untrusted, insecure: new Set<InsecureFeature>(['tls']) }), body);
    const plain = new URL(`http://127.0.0.1:1${path}`);
    await assert.rejects(download(plain, paths, context), (error) => hasErrorCode(error, 'ERR_FETCH_INSECURE') && error.hint?.includes('--insecure-options=http') === true);
  });

  it('streams: memory does not grow with the size of the body', async () => {
    const { path, url, paths } = await fresh();
    const total = 128 * 1024 * 1024;
    const chunk = randomBytes(1024 * 1024);
    server.route(path, {
      kind: 'handler',
      handle: (_req, res) => {
        res.writeHead(200, { 'content-length': total });
        let sent = 0;
        const pump = (): void => {
          while (sent < total) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      },
    });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const result = await download(url, paths, { ...context, onEvent: () => { peak = Math.max(peak, process.memoryUsage().rss); } });
    assert.equal(result.kind === 'complete' && result.bytes, total);
    assert.ok(peak - baseline < 64 * 1024 * 1024, `rss grew by ${Math.round((peak - baseline) / 1048576)} MiB while downloading 128 MiB`);
  });

  it('reads Cache-Control max-age', () => {
    assert.equal(maxAgeOf({ 'cache-control': 'public, max-age=300' }), 300);
    assert.equal(maxAgeOf({ 'cache-control': 'max-age=300, no-cache' }), 0);
    assert.equal(maxAgeOf({ 'cache-control': 'no-store' }), 0);
    assert.equal(maxAgeOf({}), 0);
  });
});
