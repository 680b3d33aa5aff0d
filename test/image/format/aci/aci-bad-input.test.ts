import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { extractAci } from '../../../../src/image/index.js';
import { hasErrorCode } from '../../../../src/util/index.js';
import type { RawEntry } from '../../fixtures.js';
import { makeTar, manifestJson, minimalEntries, removeDir, tempDir } from '../../fixtures.js';

describe('ACI bad input', () => {
  let work: string;
  let outside: string;
  let counter = 0;
  before(async () => {
    work = await tempDir('aci-bad');
    outside = path.join(work, 'outside');
    await mkdir(outside);
  });
  after(() => removeDir(work));

  /** Extract `bytes` and expect `code` + `message`; the destination and temp dirs must not remain. */
  async function refuses(bytes: Buffer, code: string, message: RegExp): Promise<void> {
    counter += 1;
    const file = path.join(work, `case-${counter}.aci`);
    await writeFile(file, bytes);
    const dest = path.join(work, `dest-${counter}`);
    await assert.rejects(extractAci(file, dest), (error: unknown) => {
      assert.ok(hasErrorCode(error, code), `expected ${code}, got ${String(error)}`);
      assert.match(error.message, message);
      return true;
    });
    await assert.rejects(stat(dest), { code: 'ENOENT' });
    const left = (await readdir(work)).filter((name) => name.startsWith(`dest-${counter}`));
    assert.deepEqual(left, [], 'no temp directory may stay behind');
    assert.deepEqual(await readdir(outside), [], 'nothing may be written outside the root');
  }

  const good = (): Promise<Buffer> => makeTar(minimalEntries());
  const withEntries = (...extra: RawEntry[]): Promise<Buffer> => makeTar([...minimalEntries(), ...extra]);

  it('truncated tar (cut inside a file)', async () => {
    const bytes = await withEntries({ header: { name: 'rootfs/big', type: 'file' }, content: Buffer.alloc(10_000, 7) });
    await refuses(bytes.subarray(0, 3000), 'ERR_TAR_TRUNCATED', /the tar archive ends early/);
  });

  it('truncated tar (cut at an entry boundary, no end-of-archive marker)', async () => {
    const bytes = await good();
    await refuses(bytes.subarray(0, bytes.length - 1024), 'ERR_TAR_TRUNCATED', /no end-of-archive marker/);
  });

  it('corrupt tar header', async () => {
    const bytes = Buffer.from(await good());
    bytes.write('garbage!', 1024 + 100, 'latin1');
    await refuses(bytes, 'ERR_TAR_CORRUPT', /the tar archive is corrupt: Invalid tar header/);
  });

  it('truncated gzip', async () => {
    const gz = gzipSync(await withEntries({ header: { name: 'rootfs/big', type: 'file' }, content: Buffer.alloc(50_000, 1) }));
    await refuses(gz.subarray(0, gz.length - 20), 'ERR_COMPRESSION_TRUNCATED', /gzip data of .* ends early: the file is truncated/);
  });

  it('corrupt gzip', async () => {
    const gz = Buffer.from(gzipSync(await good()));
    for (let index = 20; index < 60; index += 1) gz[index] = 0xff;
    await refuses(gz, 'ERR_COMPRESSION_CORRUPT', /gzip data of .* is corrupt: /);
  });

  it('empty file and not an archive', async () => {
    await refuses(Buffer.alloc(0), 'ERR_ACI_EMPTY', /is empty$/);
    await refuses(Buffer.from('just some text, certainly not a tar archive'.repeat(20)), 'ERR_ACI_UNKNOWN_FORMAT', /is not an ACI: neither a tar archive nor gzip, bzip2, xz or zstd data/);
  });

  it('missing manifest', async () => {
    const bytes = await makeTar(minimalEntries().slice(1));
    await refuses(bytes, 'ERR_ACI_NO_MANIFEST', /the archive has no "manifest" file/);
  });

  it('missing rootfs', async () => {
    await refuses(await makeTar(minimalEntries().slice(0, 1)), 'ERR_ACI_NO_ROOTFS', /the archive has no "rootfs" directory/);
  });

  it('manifest that is not JSON', async () => {
    const entries = minimalEntries();
    entries[0] = { header: { name: 'manifest', type: 'file' }, content: '{ "acKind": "ImageManifest", ' };
    await refuses(await makeTar(entries), 'ERR_MANIFEST_NOT_JSON', /^the manifest of .* is not valid JSON: /);
  });

  it('invalid manifest (wrong os)', async () => {
    const entries = minimalEntries(manifestJson('example.com/x', { labels: [{ name: 'os', value: 'darwin' }] }));
    await refuses(await makeTar(entries), 'ERR_INVALID_MANIFEST', /labels\[0\]\.value: os "darwin" is not supported: rocklet runs linux images only/);
  });

  it('entry with ".."', async () => {
    await refuses(await withEntries({ header: { name: 'rootfs/../../outside/evil', type: 'file' }, content: 'x' }), 'ERR_TAR_UNSAFE_PATH', /refusing tar entry "rootfs\/\.\.\/\.\.\/outside\/evil": "\.\." path components are not allowed/);
  });

  it('absolute entry path', async () => {
    await refuses(await withEntries({ header: { name: `${outside}/evil`, type: 'file' }, content: 'x' }), 'ERR_TAR_UNSAFE_PATH', /absolute paths are not allowed/);
  });

  it('symlink escaping rootfs', async () => {
    await refuses(await withEntries({ header: { name: 'rootfs/escape', type: 'symlink', linkname: '../../outside' } }), 'ERR_TAR_UNSAFE_LINK', /refusing symlink "rootfs\/escape" -> "\.\.\/\.\.\/outside": it points outside rootfs\//);
  });

  it('symlink followed by a write through it', async () => {
    const bytes = await withEntries(
      { header: { name: 'rootfs/evil', type: 'symlink', linkname: outside } },
      { header: { name: 'rootfs/evil/pwned', type: 'file' }, content: 'owned' },
    );
    await refuses(bytes, 'ERR_TAR_UNSAFE_PATH', /refusing tar entry "rootfs\/evil\/pwned": "rootfs\/evil" is a symlink and writing through it could escape the root/);
  });

  it('hardlink to a file outside', async () => {
    await refuses(await withEntries({ header: { name: 'rootfs/passwd', type: 'link', linkname: '../../etc/passwd' } }), 'ERR_TAR_UNSAFE_PATH', /"\.\." path components are not allowed/);
    await refuses(await withEntries({ header: { name: 'rootfs/passwd', type: 'link', linkname: '/etc/passwd' } }), 'ERR_TAR_UNSAFE_PATH', /absolute paths are not allowed/);
    await refuses(await withEntries({ header: { name: 'rootfs/m', type: 'link', linkname: 'manifest' } }), 'ERR_TAR_UNSAFE_LINK', /refusing hardlink "rootfs\/m" -> "manifest": it points outside rootfs\//);
  });

  it('hardlink through a symlinked directory', async () => {
    const bytes = await withEntries(
      { header: { name: 'rootfs/etc-link', type: 'symlink', linkname: '/etc' } },
      { header: { name: 'rootfs/shadow', type: 'link', linkname: 'rootfs/etc-link/passwd' } },
    );
    await refuses(bytes, 'ERR_TAR_UNSAFE_PATH', /"rootfs\/etc-link" is a symlink/);
  });

  it('entry outside rootfs/ and duplicate entries', async () => {
    await refuses(await withEntries({ header: { name: 'rootfsX', type: 'file' }, content: 'x' }), 'ERR_ACI_LAYOUT', /unexpected entry "rootfsX": an ACI holds only "manifest" and "rootfs\/"/);
    await refuses(await withEntries({ header: { name: './rootfs/etc/hostname', type: 'file' }, content: 'y' }), 'ERR_ACI_DUPLICATE_ENTRY', /tar entry "rootfs\/etc\/hostname" appears twice/);
  });

  it('accepts ./-prefixed names and a file named rootfs/manifest (formats.md §1.8 #68)', async () => {
    const bytes = await makeTar([
      { header: { name: './manifest', type: 'file' }, content: JSON.stringify(manifestJson()) },
      { header: { name: './rootfs/', type: 'directory' } },
      { header: { name: './rootfs/manifest', type: 'file' }, content: 'image content' },
    ]);
    const file = path.join(work, 'ok.aci');
    await writeFile(file, bytes);
    await extractAci(file, path.join(work, 'ok'));
    assert.equal(await readFile(path.join(work, 'ok', 'rootfs', 'manifest'), 'utf8'), 'image content');
  });
});
