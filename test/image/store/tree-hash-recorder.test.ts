import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAci } from '../../../src/image/format/aci/aci-reader.js';
import { unpackAci } from '../../../src/image/format/aci/aci-unpack.js';
import { buildAci, hashTree } from '../../../src/image/index.js';
import { TreeWriter } from '../../../src/image/tree/tree-writer.js';
import type { RawEntry } from '../fixtures.js';
import { IS_ROOT, gnuTar, makeImageDir, makeTar, minimalEntries, removeDir, tempDir } from '../fixtures.js';

/** Extract `aci` with a tree writer; returns the writer's own tree hash and a walk's. */
async function writerAndWalk(aci: string, dest: string): Promise<{ recorded: string | undefined; walked: string }> {
  await mkdir(dest, { recursive: true });
  const writer = new TreeWriter(dest, aci, { digestContent: false });
  const read = await readAci(aci, { rootfsSink: writer, digestFiles: true });
  await writer.finish();
  return { recorded: writer.treeHash(read.fileDigests), walked: await hashTree(dest) };
}

// Import hashes a fresh tree from what its writer recorded instead of walking it: that record
// must give exactly the walk's hash, or verify would call every freshly imported image corrupt.
describe('tree hash recorded while writing', { skip: IS_ROOT ? false : 'the record is used only as root (ownership is exact)' }, () => {
  let work: string;
  before(async () => {
    work = await tempDir('tree-hash-recorder');
  });
  after(() => removeDir(work));

  it('equals a walk of the written tree for the busybox image (tar-stream and GNU tar archives)', async () => {
    await makeImageDir(path.join(work, 'image'));
    await buildAci(path.join(work, 'image'), path.join(work, 'built.aci'), { compression: 'none' });
    await gnuTar(path.join(work, 'image'), path.join(work, 'gnu.aci'));
    const source = await hashTree(path.join(work, 'image', 'rootfs'));
    for (const name of ['built', 'gnu']) {
      const { recorded, walked } = await writerAndWalk(path.join(work, `${name}.aci`), path.join(work, `${name}-out`));
      assert.notEqual(recorded, undefined, `${name}: the writer recorded the tree`);
      assert.equal(recorded, walked, `${name}: recorded hash equals the walk`);
      assert.equal(walked, source, `${name}: and the source tree`);
    }
  });

  it('equals a walk with implied directories, tricky name order, links of links, devices and owners', async () => {
    const entries: RawEntry[] = [
      ...minimalEntries(),
      { header: { name: 'rootfs/deep/er/file', type: 'file', uid: 1234, gid: 5678, mode: 0o640 }, content: 'implied parents\n' },
      { header: { name: 'rootfs/a-b', type: 'file' }, content: 'dash sorts before slash\n' },
      { header: { name: 'rootfs/a/b', type: 'file' }, content: 'inside a\n' },
      { header: { name: 'rootfs/a', type: 'directory', mode: 0o1777 } },
      { header: { name: 'rootfs/B', type: 'file', mode: 0o6755 }, content: 'upper case first\n' },
      { header: { name: 'rootfs/é', type: 'directory', mode: 0o2750, uid: 7, gid: 8 } },
      { header: { name: 'rootfs/é/empty', type: 'file' }, content: '' },
      { header: { name: 'rootfs/link', type: 'symlink', linkname: 'a/b', uid: 3, gid: 4 } },
      { header: { name: 'rootfs/link-hard', type: 'link', linkname: 'rootfs/link' } },
      { header: { name: 'rootfs/b-hard', type: 'link', linkname: 'rootfs/a/b' } },
      { header: { name: 'rootfs/b-hard-hard', type: 'link', linkname: 'rootfs/b-hard' } },
      { header: { name: 'rootfs/dev/zero', type: 'character-device', devmajor: 1, devminor: 5, mode: 0o666 } },
      { header: { name: 'rootfs/dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660, gid: 6 } },
      { header: { name: 'rootfs/dev/fifo', type: 'fifo', mode: 0o600 } },
    ];
    const aci = path.join(work, 'tricky.aci');
    await writeFile(aci, await makeTar(entries));
    const { recorded, walked } = await writerAndWalk(aci, path.join(work, 'tricky-out'));
    assert.notEqual(recorded, undefined);
    assert.equal(recorded, walked);
  });

  it('keeps the archive\'s ownership below a setgid root (new files would inherit its group)', async () => {
    const entries: RawEntry[] = [
      ...minimalEntries(),
      { header: { name: 'rootfs/owned-by-root', type: 'file', uid: 0, gid: 0 }, content: 'root:root\n' },
      { header: { name: 'rootfs/sub/also-root', type: 'file', uid: 0, gid: 0 }, content: 'root:root\n' },
    ];
    const aci = path.join(work, 'setgid.aci');
    await writeFile(aci, await makeTar(entries));
    const dest = path.join(work, 'setgid-out');
    await mkdir(dest);
    await chown(dest, 0, 4321);
    await chmod(dest, 0o2755);
    const { recorded, walked } = await writerAndWalk(aci, dest);
    for (const rel of ['owned-by-root', 'sub/also-root']) {
      const stats = await lstat(path.join(dest, rel));
      assert.equal(`${stats.uid}:${stats.gid}`, '0:0', rel);
    }
    assert.equal(recorded, walked);
  });

  it('unpackAci reports the walk\'s hash', async () => {
    const aci = path.join(work, 'built.aci');
    const dest = path.join(work, 'unpacked');
    await mkdir(dest);
    const result = await unpackAci(aci, dest);
    assert.equal(result.treeHash, await hashTree(path.join(dest, 'rootfs')));
  });
});
