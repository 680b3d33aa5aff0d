import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Output } from '../../src/cli/command.js';
import { FetchProgress, INSECURE_IMAGE_WARNING } from '../../src/cli/commands/fetch.js';
import { withActivity } from '../../src/cli/render/activity.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir } from '../harness/index.js';
import { buildTestAci } from '../image/fetch/helpers.js';
import { runRocklet } from './run-cli.js';

function captureOutput(stderrIsTTY: boolean): { out: Output; lines: string[] } {
  const lines: string[] = [];
  const out: Output = {
    stdout: () => undefined,
    diag: (line) => lines.push(line),
    debug: () => undefined,
    warn: (line) => lines.push(`warning: ${line}`),
    stderrIsTTY,
    stdinIsTTY: false,
    readLine: () => Promise.resolve(undefined),
  };
  return { out, lines };
}

describe('cli fetch: progress rendering', () => {
  const url = 'https://example.com/images/app.aci';

  it('prints plain lines when stderr is not a terminal', () => {
    const { out, lines } = captureOutput(false);
    const progress = new FetchProgress(out, () => assert.fail('no raw writes without a terminal'));
    progress.handle({ kind: 'download-start', url, totalBytes: 12_900_000, resumeFrom: 0 });
    progress.handle({ kind: 'download-progress', url, bytes: 1000, totalBytes: 12_900_000 });
    progress.handle({ kind: 'download-done', url, bytes: 12_900_000 });
    progress.handle({ kind: 'download-start', url, totalBytes: 4096, resumeFrom: 1024 });
    progress.handle({ kind: 'cache-hit', url, imageId: 'sha512-x', reason: 'fresh' });
    assert.deepEqual(lines, [
      `downloading ${url} (12MiB)`,
      `downloaded ${url} (12MiB)`,
      `resuming download of ${url} at 1.0KiB of 4.0KiB`,
      `image for ${url} isn't expired, not fetching`,
    ]);
  });

  it('draws a bar on a terminal and clears it before the next line', () => {
    const { out, lines } = captureOutput(true);
    const raw: string[] = [];
    const progress = new FetchProgress(out, (text) => raw.push(text));
    progress.handle({ kind: 'download-start', url, totalBytes: 2048, resumeFrom: 0 });
    progress.handle({ kind: 'download-done', url, bytes: 2048 });
    assert.match(raw[0] ?? '', /^\r\x1b\[KDownloading app\.aci \[>? *\] 0B\/2\.0KiB$/);
    assert.equal(raw[1], '\r\x1b[K');
    assert.deepEqual(lines, [`downloaded ${url} (2.0KiB)`]);
  });
});

describe('cli fetch: unpacking progress', () => {
  const url = 'https://example.com/images/app.aci';

  it('draws an unpacking bar on a terminal, cleared before the next line; prints nothing for it otherwise', () => {
    const plain = captureOutput(false);
    const quiet = new FetchProgress(plain.out, () => assert.fail('no raw writes without a terminal'));
    quiet.handle({ kind: 'import-progress', source: url, bytes: 1024 });
    quiet.handle({ kind: 'download-done', url, bytes: 2048 });
    assert.deepEqual(plain.lines, [`downloaded ${url} (2.0KiB)`]);

    const { out, lines } = captureOutput(true);
    const raw: string[] = [];
    const progress = new FetchProgress(out, (text) => raw.push(text));
    progress.handle({ kind: 'import-progress', source: '/images/app.aci', bytes: 3 * 1024 * 1024 });
    progress.handle({ kind: 'signature-verified', image: 'app', signer: { fingerprint: 'F00', identities: ['Dev <dev@example.com>'], trustedFor: 'root' } });
    assert.deepEqual(raw, ['\r\x1b[KUnpacking app.aci 3.0MiB', '\r\x1b[K']);
    assert.equal(lines.length, 1);
  });
});

describe('cli render: activity line', () => {
  it('on a terminal: draws the label with the elapsed seconds, clears it when the work ends (or fails)', async () => {
    const raw: string[] = [];
    const { out } = captureOutput(true);
    assert.equal(await withActivity(out, 'waiting for READY', () => Promise.resolve(42), { write: (text) => raw.push(text) }), 42);
    assert.deepEqual(raw, ['\r\x1b[Kwaiting for READY (0 s)', '\r\x1b[K']);
    raw.length = 0;
    await assert.rejects(withActivity(out, 'stopping', () => Promise.reject(new Error('boom')), { write: (text) => raw.push(text) }), /boom/);
    assert.equal(raw.at(-1), '\r\x1b[K');
  });

  it('redraws while the work lasts', async () => {
    const raw: string[] = [];
    const { out } = captureOutput(true);
    await withActivity(out, 'busy', () => new Promise((resolve) => setTimeout(resolve, 60)), { write: (text) => raw.push(text), everyMs: 5 });
    assert.ok(raw.filter((text) => text.startsWith('\r\x1b[Kbusy (')).length >= 2, JSON.stringify(raw));
  });

  it('off a terminal: no drawing at all', async () => {
    const { out } = captureOutput(false);
    assert.equal(await withActivity(out, 'x', () => Promise.resolve('done'), { write: () => assert.fail('no drawing without a terminal') }), 'done');
  });
});

describe('cli fetch: the command', () => {
  let tmp: TempDir;
  let aci: string;
  let id: string;
  let dirs: string[];
  before(async () => {
    tmp = await makeTempDir('cli-fetch');
    aci = path.join(tmp.path, 'app.aci');
    id = (await buildTestAci(aci, { name: 'example.com/cli-fetch' })).id;
    dirs = ['--dir', path.join(tmp.path, 'data'), '--config-dir', path.join(tmp.path, 'config')];
  });
  after(() => tmp.remove());

  it('needs an image, and at most one --signature per image', async () => {
    const none = await runRocklet([...dirs, 'fetch']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /fetch: fetch needs at least one image/);
    const extra = await runRocklet([...dirs, 'fetch', '--signature', 'a.asc', '--signature', 'b.asc', aci]);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /2 --signature flags for 1 image/);
    const policy = await runRocklet([...dirs, 'fetch', '--pull-policy=always', aci]);
    assert.equal(policy.code, 2);
  });

  it('prints the short ID, the full ID with --full, JSON with --format json; warns when verification is off', async () => {
    const short = await runRocklet([...dirs, '--insecure-options=image', 'fetch', aci]);
    assert.equal(short.code, 0, short.stderr);
    assert.equal(short.stdout, `${id.slice(0, 'sha512-'.length + 32)}\n`);
    assert.match(short.stderr, new RegExp(`^fetch: warning: ${INSECURE_IMAGE_WARNING.replace(/[()]/g, '\\$&')}$`, 'm'));
    assert.match(short.stderr, new RegExp(`^fetch: using image from file ${aci}$`, 'm'));
    const full = await runRocklet([...dirs, '--insecure-options=image', 'image', 'fetch', '--full', aci]);
    assert.equal(full.stdout, `${id}\n`);
    const json = await runRocklet([...dirs, '--insecure-options=image', '--format=json', 'fetch', aci, id.slice(0, 12)]);
    assert.deepEqual(JSON.parse(json.stdout), [
      { image: aci, id, name: 'example.com/cli-fetch', origin: 'file' },
      { image: id.slice(0, 12), id, name: 'example.com/cli-fetch', origin: 'store' },
    ]);
  });

  it('exits 254 with the error of the first failing image, after printing the IDs before it', async () => {
    const result = await runRocklet([...dirs, '--insecure-options=image', 'fetch', aci, path.join(tmp.path, 'missing.aci')]);
    assert.equal(result.code, 254);
    assert.equal(result.stdout, `${id.slice(0, 'sha512-'.length + 32)}\n`);
    assert.match(result.stderr, /missing\.aci: no such file/);
  });
});
