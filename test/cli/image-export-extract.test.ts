/** `rocklet image cat-manifest`, `image export` and `image extract` on a busybox-static image. */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BuiltImage, ImageWorkspace } from './image-setup.js';
import { buildImage, createWorkspace, imageManifest, importImage, linesOf, makeBusyboxImageDir, treeListing } from './image-setup.js';

describe('rocklet image cat-manifest / export / extract', () => {
  let ws: ImageWorkspace;
  let image: BuiltImage;
  let manifest: Record<string, unknown>;
  let sourceTree: string[];
  const out = (name: string): string => path.join(ws.root, 'out', name);

  before(async () => {
    ws = await createWorkspace('image-export');
    // Keys in an unusual order: cat-manifest must keep them as stored.
    manifest = { ...imageManifest('example.com/busybox', '1.36.1'), annotations: [{ name: 'created', value: '2026-01-02T03:04:05Z' }] };
    manifest = { name: manifest['name'], ...manifest };
    await makeBusyboxImageDir(path.join(ws.root, 'busybox'), manifest);
    image = await buildImage(path.join(ws.root, 'busybox'));
    // Imported from the gzip ACI: the store keeps the uncompressed tar.
    await importImage(ws, image.gzipAci);
    sourceTree = await treeListing(path.join(image.dir, 'rootfs'));
    await mkdir(path.join(ws.root, 'out'));
  });
  after(() => ws.remove());

  it('cat-manifest prints the stored manifest, tab-indented or on one line', async () => {
    const pretty = await ws.rocklet(['image', 'cat-manifest', 'example.com/busybox:1.36.1']);
    assert.deepEqual([pretty.code, pretty.stdout, pretty.stderr], [0, `${JSON.stringify(manifest, null, '\t')}\n`, '']);
    const compact = await ws.rocklet(['image', 'cat-manifest', '--pretty-print=false', image.id.slice(0, 20)]);
    assert.deepEqual([compact.code, compact.stdout], [0, `${JSON.stringify(manifest)}\n`]);
    const missing = await ws.rocklet(['image', 'cat-manifest', 'example.com/busybox:0.1']);
    assert.equal(missing.code, 254);
    assert.equal(linesOf(missing.stderr)[0], 'image cat-manifest: no image named "example.com/busybox" with version=0.1 in the store');
  });

  it('export writes the uncompressed ACI, byte-identical to an uncompressed build of the same tree', async () => {
    const r = await ws.rocklet(['image', 'export', 'example.com/busybox', out('export.aci')]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    assert.ok((await readFile(out('export.aci'))).equals(await readFile(image.plainAci)));
    assert.equal((await stat(out('export.aci'))).mode & 0o777, 0o644);
  });

  it('export refuses an existing file (store and file unchanged) and replaces it with --overwrite', async () => {
    await writeFile(out('taken.aci'), 'keep me\n');
    const before = await ws.snapshot();
    const refused = await ws.rocklet(['image', 'export', image.id, out('taken.aci')]);
    assert.equal(refused.code, 254);
    assert.equal(refused.stderr, `image export: ${out('taken.aci')} already exists\nimage export: hint: remove it or use --overwrite\n`);
    assert.equal(await readFile(out('taken.aci'), 'utf8'), 'keep me\n');
    assert.deepEqual(await ws.snapshot(), before);
    const replaced = await ws.rocklet(['image', 'export', '--overwrite', image.id, out('taken.aci')]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.ok((await readFile(out('taken.aci'))).equals(await readFile(image.plainAci)));
  });

  it('export and extract need both arguments (exit 2)', async () => {
    for (const command of ['export', 'extract']) {
      const r = await ws.rocklet(['image', command, image.id]);
      assert.equal(r.code, 2, command);
      assert.match(r.stderr, new RegExp(`^image ${command}: missing (OUT\\.aci|DIR) argument$`, 'm'));
    }
  });

  it('extract writes manifest + rootfs/ identical to the source tree (modes, owners, links, mtimes)', async () => {
    const r = await ws.rocklet(['image', 'extract', image.id, out('extracted')]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    assert.deepEqual(JSON.parse(await readFile(out('extracted/manifest'), 'utf8')), manifest);
    assert.deepEqual(await treeListing(out('extracted/rootfs')), sourceTree);
    assert.ok(sourceTree.some((line) => line.startsWith('bin/suid-tool 4755 0:0 file')));
    assert.ok(sourceTree.some((line) => line.startsWith('srv/shared/owned.txt 644 1000:1000 file')));
    assert.ok(sourceTree.some((line) => line.startsWith('tmp 1777 ')));
    assert.ok(sourceTree.some((line) => / symlink -> \/bin\/busybox$/.test(line)));
    const busybox = await stat(out('extracted/rootfs/bin/busybox'));
    assert.equal((await stat(out('extracted/rootfs/bin/busybox-hardlink'))).ino, busybox.ino, 'hardlink kept');
  });

  it('extract --rootfs-only puts the root filesystem itself at DIR', async () => {
    const r = await ws.rocklet(['image', 'extract', '--rootfs-only', 'example.com/busybox', out('rootfs-only')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await treeListing(out('rootfs-only')), sourceTree);
  });

  it('extract refuses an existing DIR and "/", changing nothing; --overwrite replaces DIR', async () => {
    await mkdir(out('occupied'));
    await writeFile(out('occupied/mine'), 'mine\n');
    const before = await ws.snapshot();
    const refused = await ws.rocklet(['image', 'extract', image.id, out('occupied')]);
    assert.equal(refused.code, 254);
    assert.equal(refused.stderr, `image extract: ${out('occupied')} already exists\nimage extract: hint: remove it or use --overwrite\n`);
    assert.deepEqual(await treeListing(out('occupied')).then((lines) => lines.map((line) => line.split(' ')[0])), ['.', 'mine']);
    const root = await ws.rocklet(['image', 'extract', '--overwrite', image.id, '/']);
    assert.deepEqual([root.code, root.stderr], [254, 'image extract: refusing to write to "/"\n']);
    assert.deepEqual(await ws.snapshot(), before);
    const replaced = await ws.rocklet(['image', 'extract', '--overwrite', '--rootfs-only', image.id, out('occupied')]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.deepEqual(await treeListing(out('occupied')), sourceTree);
  });
});
