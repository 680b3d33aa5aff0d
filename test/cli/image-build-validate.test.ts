/** `rocklet image build` and `rocklet image validate`, through the built CLI. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { makeTar, minimalEntries } from '../image/fixtures.js';
import type { ImageWorkspace } from './image-setup.js';
import { createWorkspace, imageManifest, linesOf, makeBusyboxImageDir } from './image-setup.js';

const BAD_MANIFEST = {
  acKind: 'PodManifest',
  acVersion: '0.8.11',
  name: 'Example.com/app',
  labels: [{ name: 'os', value: 'plan9' }],
  app: { exec: '/bin/sh', user: '0', group: '0' },
};
const BAD_PROBLEMS = [
  'acKind: must be "ImageManifest", not "PodManifest"',
  'name: "Example.com/app" is not an AC Identifier: uppercase letters are not allowed',
  'labels[0].value: unknown os "plan9" (appc knows linux, freebsd, darwin)',
  'app.exec: must be a list, not a string',
];

function sha512(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('hex')}`;
}

describe('rocklet image build', () => {
  let ws: ImageWorkspace;
  let imageDir: string;
  before(async () => {
    ws = await createWorkspace('image-build');
    imageDir = path.join(ws.root, 'busybox');
    await makeBusyboxImageDir(imageDir, imageManifest('example.com/busybox'));
  });
  after(() => ws.remove());

  it('writes a gzip ACI by default and prints the ID of its uncompressed tar', async () => {
    const out = path.join(ws.root, 'default.aci');
    const r = await ws.rocklet(['image', 'build', imageDir, out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const bytes = await readFile(out);
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
    assert.equal(r.stdout, `${sha512(gunzipSync(bytes))}\n`);
    const check = await ws.rocklet(['image', 'validate', out]);
    assert.deepEqual([check.code, check.stdout], [0, `${out}: ok\n`]);
  });

  it('--compression=none writes a plain tar whose SHA-512 is the printed ID', async () => {
    const out = path.join(ws.root, 'plain.aci');
    const r = await ws.rocklet(['image', 'build', '--compression=none', imageDir, out]);
    assert.equal(r.code, 0, r.stderr);
    const bytes = await readFile(out);
    assert.equal(bytes.subarray(257, 262).toString('latin1'), 'ustar');
    assert.equal(r.stdout, `${sha512(bytes)}\n`);
  });

  it('refuses to overwrite an existing file, and replaces it with --overwrite', async () => {
    const out = path.join(ws.root, 'existing.aci');
    await writeFile(out, 'precious\n');
    const refused = await ws.rocklet(['image', 'build', imageDir, out]);
    assert.equal(refused.code, 254);
    assert.equal(refused.stdout, '');
    assert.equal(refused.stderr, `image build: ${out} already exists\nimage build: hint: remove it or use --overwrite\n`);
    assert.equal(await readFile(out, 'utf8'), 'precious\n');
    const replaced = await ws.rocklet(['image', 'build', '--overwrite', '--compression=none', imageDir, out]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(replaced.stdout, `${sha512(await readFile(out))}\n`);
  });

  it('validates the manifest first: prints every problem with its field path and writes nothing', async () => {
    const dir = path.join(ws.root, 'bad');
    await mkdir(path.join(dir, 'rootfs'), { recursive: true });
    await writeFile(path.join(dir, 'manifest'), JSON.stringify(BAD_MANIFEST));
    const out = path.join(ws.root, 'bad.aci');
    const before = (await readdir(ws.root)).sort();
    const r = await ws.rocklet(['image', 'build', dir, out]);
    assert.equal(r.code, 254);
    assert.equal(r.stdout, '');
    assert.deepEqual(linesOf(r.stderr), [
      `image build: invalid image manifest in ${dir}/manifest (4 problems):`,
      ...BAD_PROBLEMS.map((problem) => `  ${problem}`),
      'image build: hint: fix the fields named above; see the appc ImageManifest spec',
    ]);
    assert.deepEqual((await readdir(ws.root)).sort(), before, 'no output and no temp file');
  });

  it('names a missing manifest, a manifest that is not JSON and a missing rootfs', async () => {
    const empty = path.join(ws.root, 'empty');
    await mkdir(empty);
    const noManifest = await ws.rocklet(['image', 'build', empty, path.join(ws.root, 'x.aci')]);
    assert.equal(noManifest.code, 254);
    assert.equal(linesOf(noManifest.stderr)[0], `image build: ${empty} has no manifest file`);
    await writeFile(path.join(empty, 'manifest'), JSON.stringify(imageManifest('example.com/empty')));
    const noRootfs = await ws.rocklet(['image', 'build', empty, path.join(ws.root, 'x.aci')]);
    assert.deepEqual([noRootfs.code, noRootfs.stderr], [254, `image build: ${empty} has no rootfs directory\n`]);
    await writeFile(path.join(empty, 'manifest'), '{"acKind": ');
    const notJson = await ws.rocklet(['image', 'build', empty, path.join(ws.root, 'x.aci')]);
    assert.equal(notJson.code, 254);
    assert.match(notJson.stderr, new RegExp(`^image build: ${empty}/manifest is not valid JSON: `));
    await assert.rejects(readFile(path.join(ws.root, 'x.aci')), { code: 'ENOENT' });
  });

  it('usage errors exit 2: a wrong --compression, a missing OUT', async () => {
    const bad = await ws.rocklet(['image', 'build', '--compression=bzip2', imageDir, path.join(ws.root, 'y.aci')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid value "bzip2" for --compression: expected one of gzip, none/);
    const missing = await ws.rocklet(['image', 'build', imageDir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^image build: missing OUT\.aci argument$/m);
  });
});

describe('rocklet image validate', () => {
  let ws: ImageWorkspace;
  const file = (name: string): string => path.join(ws.root, name);
  before(async () => {
    ws = await createWorkspace('image-validate');
    await writeFile(file('good.json'), JSON.stringify(imageManifest('example.com/good')));
    await writeFile(file('bad.json'), JSON.stringify(BAD_MANIFEST));
    await writeFile(file('broken.json'), '{"acKind": "ImageManifest",');
    await writeFile(file('good.aci'), await makeTar(minimalEntries(imageManifest('example.com/tiny'))));
    await writeFile(file('bad-manifest.aci'), await makeTar(minimalEntries(BAD_MANIFEST)));
    const good = await readFile(file('good.aci'));
    await writeFile(file('truncated.aci'), good.subarray(0, 1536));
    await writeFile(file('no-manifest.aci'), await makeTar(minimalEntries().slice(1)));
  });
  after(() => ws.remove());

  it('prints FILE: ok for valid manifests and ACIs and exits 0', async () => {
    const r = await ws.rocklet(['image', 'validate', file('good.json'), file('good.aci')]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${file('good.json')}: ok\n${file('good.aci')}: ok\n`, '']);
  });

  it('prints every manifest problem as FILE: path: message, also inside an ACI, and exits 1', async () => {
    const r = await ws.rocklet(['image', 'validate', file('good.json'), file('bad.json'), file('bad-manifest.aci')]);
    assert.equal(r.code, 1);
    assert.deepEqual(linesOf(r.stdout), [
      `${file('good.json')}: ok`,
      ...BAD_PROBLEMS.map((problem) => `${file('bad.json')}: ${problem}`),
      ...BAD_PROBLEMS.map((problem) => `${file('bad-manifest.aci')}: ${problem}`),
    ]);
  });

  it('names what is wrong with a file that is not a manifest or archive at all', async () => {
    const r = await ws.rocklet(['image', 'validate', file('broken.json'), file('truncated.aci'), file('no-manifest.aci'), file('missing.aci'), ws.root]);
    assert.equal(r.code, 1);
    const lines = linesOf(r.stdout);
    assert.match(lines[0] ?? '', new RegExp(`^${file('broken.json')}: not valid JSON: `));
    assert.deepEqual(lines.slice(1), [
      `${file('truncated.aci')}: the tar archive ends early (no end-of-archive marker: truncated)`,
      `${file('no-manifest.aci')}: the archive has no "manifest" file`,
      `${file('missing.aci')}: cannot read file: no such file (ENOENT)`,
      `${ws.root}: not a regular file (a directory)`,
    ]);
  });

  it('--format json reports each file with its kind, ID, problems or error', async () => {
    const r = await ws.rocklet(['image', 'validate', '--format=json', file('good.aci'), file('bad.json'), file('truncated.aci')]);
    assert.equal(r.code, 1);
    assert.equal(linesOf(r.stdout).length, 1, 'one line');
    const report = JSON.parse(r.stdout) as { valid: boolean; files: Record<string, unknown>[] };
    assert.equal(report.valid, false);
    assert.deepEqual(report.files[0], {
      file: file('good.aci'), valid: true, kind: 'aci', id: sha512(await readFile(file('good.aci'))), name: 'example.com/tiny', problems: [],
    });
    assert.deepEqual(report.files[1], {
      file: file('bad.json'), valid: false, kind: 'manifest',
      problems: BAD_PROBLEMS.map((problem) => {
        const [fieldPath = '', ...rest] = problem.split(': ');
        return { path: fieldPath, message: rest.join(': ') };
      }),
    });
    assert.deepEqual(report.files[2], {
      file: file('truncated.aci'), valid: false, kind: 'aci', problems: [],
      error: { code: 'ERR_TAR_TRUNCATED', message: 'the tar archive ends early (no end-of-archive marker: truncated)' },
    });
  });

  it('exits 2 without a file', async () => {
    const r = await ws.rocklet(['image', 'validate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^image validate: missing FILE argument$/m);
  });
});
