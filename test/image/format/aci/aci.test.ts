import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildAci, extractAci, hashTree, readAci } from '../../../../src/image/index.js';
import { hasErrorCode } from '../../../../src/util/index.js';
import { IS_ROOT, getXattr, gnuTar, makeImageDir, manifestJson, removeDir, run, tempDir } from '../../fixtures.js';

async function sha512Hex(file: string): Promise<string> {
  return createHash('sha512').update(await readFile(file)).digest('hex');
}

describe('ACI build, read and extract', () => {
  let work: string;
  let imageDir: string;
  before(async () => {
    work = await tempDir('aci');
    imageDir = path.join(work, 'image');
    await makeImageDir(imageDir);
  });
  after(() => removeDir(work));

  it('builds an uncompressed ACI whose ID is the SHA-512 of the tar', async () => {
    const out = path.join(work, 'plain.aci');
    const built = await buildAci(imageDir, out, { compression: 'none' });
    assert.equal(built.id, `sha512-${await sha512Hex(out)}`);
    const read = await readAci(out);
    assert.equal(read.id, built.id);
    assert.equal(read.compression, 'none');
    assert.equal(read.manifest.name, 'example.com/busybox');
    assert.equal(read.tarSizeBytes, (await stat(out)).size);
  });

  it('builds gzip by default; the ID is the hash of the uncompressed tar', async () => {
    const plain = path.join(work, 'plain.aci');
    const out = path.join(work, 'gz.aci');
    const built = await buildAci(imageDir, out);
    const read = await readAci(out);
    assert.equal(read.compression, 'gzip');
    assert.equal(read.id, built.id);
    assert.equal(read.id, (await readAci(plain)).id);
  });

  it('refuses to overwrite an existing output, and overwrites with overwrite', async () => {
    const out = path.join(work, 'exists.aci');
    await writeFile(out, 'keep me');
    await assert.rejects(buildAci(imageDir, out), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_DESTINATION_EXISTS'));
      assert.equal(error.message, `${out} already exists`);
      return true;
    });
    assert.equal(await readFile(out, 'utf8'), 'keep me');
    await buildAci(imageDir, out, { overwrite: true });
    assert.equal((await readAci(out)).manifest.name, 'example.com/busybox');
  });

  it('validates the manifest before writing anything', async () => {
    const bad = path.join(work, 'bad-image');
    await makeImageDir(bad, manifestJson('Bad Name'));
    const out = path.join(work, 'bad.aci');
    await assert.rejects(buildAci(bad, out), (error: unknown) => hasErrorCode(error, 'ERR_INVALID_MANIFEST') && error.message.includes('name: "Bad Name" is not an AC Identifier'));
    await assert.rejects(stat(out), { code: 'ENOENT' });
    assert.deepEqual((await readdir(work)).filter((name) => name.includes('.tmp-')), []);
  });

  it('extracts with modes, setuid/setgid, links, fifo, xattrs, times and (as root) owners and devices', async () => {
    const dest = path.join(work, 'extracted');
    const oldUmask = process.umask(0o077);
    let extracted;
    try {
      extracted = await extractAci(path.join(work, 'gz.aci'), dest);
    } finally {
      process.umask(oldUmask);
    }
    const rootfs = path.join(dest, 'rootfs');
    const source = path.join(imageDir, 'rootfs');
    assert.deepEqual(JSON.parse(await readFile(path.join(dest, 'manifest'), 'utf8')), manifestJson());
    assert.deepEqual(await readFile(path.join(rootfs, 'bin/busybox')), await readFile('/bin/busybox'));
    assert.equal((await stat(path.join(rootfs, 'bin/busybox'))).mode & 0o7777, 0o755);
    assert.equal((await stat(path.join(rootfs, 'bin/suid-tool'))).mode & 0o7777, 0o4755);
    assert.equal((await stat(path.join(rootfs, 'srv/data'))).mode & 0o7777, 0o2775);
    assert.equal(await readlink(path.join(rootfs, 'bin/sh')), 'busybox');
    assert.equal(await readlink(path.join(rootfs, 'bin/true')), '/bin/busybox');
    assert.equal((await stat(path.join(rootfs, 'bin/busybox-hardlink'))).ino, (await stat(path.join(rootfs, 'bin/busybox'))).ino);
    assert.ok((await lstat(path.join(rootfs, 'srv/pipe'))).isFIFO());
    assert.equal(await getXattr(path.join(rootfs, 'etc/passwd'), 'user.origin'), 'rocklet-test');
    const mtime = Math.floor((await stat(path.join(source, 'etc/passwd'))).mtimeMs / 1000);
    assert.equal(Math.floor((await stat(path.join(rootfs, 'etc/passwd'))).mtimeMs / 1000), mtime);
    const dirMtime = Math.floor((await stat(path.join(source, 'bin'))).mtimeMs / 1000);
    assert.equal(Math.floor((await stat(path.join(rootfs, 'bin'))).mtimeMs / 1000), dirMtime);
    if (IS_ROOT) {
      const notes = await stat(path.join(rootfs, 'srv/data/notes.txt'));
      assert.deepEqual([notes.uid, notes.gid], [1000, 1000]);
      const data = await stat(path.join(rootfs, 'srv/data'));
      assert.deepEqual([data.uid, data.gid], [33, 33]);
      const devNull = await lstat(path.join(rootfs, 'dev/null'));
      assert.ok(devNull.isCharacterDevice());
      assert.equal(devNull.rdev, (await lstat('/dev/null')).rdev);
    }
    assert.deepEqual(extracted.report.skippedXattrs, []);
    assert.equal(extracted.treeHash, await hashTree(rootfs));
    assert.equal(extracted.treeHash, await hashTree(source));
  });

  it("records a file's mtime in the second it falls in, as GNU tar does (not rounded up to the next)", async () => {
    // 0.9996 s into a second: Node's stats.mtime Date rounds that to the next second.
    const dir = path.join(work, 'late-in-a-second');
    await makeImageDir(dir);
    const file = path.join(dir, 'rootfs', 'etc', 'passwd');
    await utimes(file, 1_733_443_200, 1_733_443_200.9996);
    assert.equal(Math.floor((await lstat(file)).mtimeMs / 1000), 1_733_443_200);
    for (const [label, build] of [['rocklet', (out: string) => buildAci(dir, out, { compression: 'none' })], ['GNU tar', (out: string) => gnuTar(dir, out)]] as const) {
      const out = path.join(work, `late-${label.replace(' ', '-')}.aci`);
      await build(out);
      const extracted = path.join(work, `late-${label.replace(' ', '-')}-extracted`);
      await extractAci(out, extracted, { rootfsOnly: true });
      // GNU tar's pax format keeps the fraction; the second is what both must agree on.
      assert.equal(Math.floor((await lstat(path.join(extracted, 'etc', 'passwd'))).mtimeMs / 1000), 1_733_443_200, label);
    }
  });

  it('reads and extracts an ACI made by GNU tar to the same tree', async () => {
    const out = path.join(work, 'gnu.aci');
    await gnuTar(imageDir, out);
    const read = await readAci(out);
    assert.equal(read.id, `sha512-${await sha512Hex(out)}`);
    const extracted = await extractAci(out, path.join(work, 'gnu-extracted'), { rootfsOnly: true });
    assert.equal(extracted.treeHash, await hashTree(path.join(imageDir, 'rootfs')));
    assert.equal(await getXattr(path.join(work, 'gnu-extracted', 'etc/passwd'), 'user.origin'), 'rocklet-test');
    await assert.rejects(stat(path.join(work, 'gnu-extracted', 'manifest')), { code: 'ENOENT' });
  });

  it('detects gzip, bzip2 and xz by magic bytes, whatever the file is called', async () => {
    const plain = path.join(work, 'plain.aci');
    const id = (await readAci(plain)).id;
    for (const [tool, expected] of [['gzip', 'gzip'], ['bzip2', 'bzip2'], ['xz', 'xz']] as const) {
      const out = path.join(work, `compressed-${tool}.tar`);
      const { stdout } = await run(tool, ['-c', plain], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
      await writeFile(out, stdout);
      const read = await readAci(out);
      assert.equal(read.compression, expected);
      assert.equal(read.id, id);
    }
  });

  it('reads from a byte stream as well as from a file', async () => {
    const bytes = await readFile(path.join(work, 'plain.aci'));
    function* chunks(data: Buffer): Generator<Buffer> {
      for (let offset = 0; offset < data.length; offset += 1000) yield data.subarray(offset, offset + 1000);
    }
    const read = await readAci(Readable.from(chunks(bytes)), { sourceName: 'stream' });
    assert.equal(read.id, `sha512-${createHash('sha512').update(bytes).digest('hex')}`);
    const gz = gzipSync(bytes);
    assert.equal((await readAci(Readable.from(chunks(gz)))).id, read.id);
  });
});
