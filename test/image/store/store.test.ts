import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { ImageId } from '../../../src/image/index.js';
import { ImageStore, buildAci } from '../../../src/image/index.js';
import { hasErrorCode, lockFile } from '../../../src/util/index.js';
import { gnuTar, makeImageDir, makeTar, manifestJson, minimalEntries, removeDir, snapshot, tempDir } from '../fixtures.js';

describe('image store', () => {
  let work: string;
  let store: ImageStore;
  let plainAci: string;
  let gzAci: string;
  let id: ImageId;
  before(async () => {
    work = await tempDir('store');
    await makeImageDir(path.join(work, 'image'), manifestJson('example.com/busybox'));
    plainAci = path.join(work, 'busybox.aci');
    gzAci = path.join(work, 'busybox.aci.gz');
    await buildAci(path.join(work, 'image'), plainAci, { compression: 'none' });
    await writeFile(gzAci, gzipSync(await readFile(plainAci)));
    store = await ImageStore.open(path.join(work, 'data'));
  });
  after(() => removeDir(work));

  it('imports an ACI: blob, record and unpacked tree; a second import changes nothing', async () => {
    const result = await store.importAci(gzAci);
    id = result.record.id;
    assert.equal(result.alreadyPresent, false);
    assert.equal(result.compression, 'gzip');
    assert.equal(result.record.name, 'example.com/busybox');
    assert.equal(result.record.sizeBytes, (await stat(plainAci)).size);
    assert.deepEqual(await readFile(store.layout.blob(id)), await readFile(plainAci));
    const tree = store.layout.tree(id);
    assert.deepEqual(await readFile(path.join(tree, 'rootfs/bin/busybox')), await readFile('/bin/busybox'));
    assert.equal(await readlink(path.join(tree, 'rootfs/bin/sh')), 'busybox');
    const before = await snapshot(path.join(work, 'data'));
    const again = await store.importAci(plainAci);
    assert.equal(again.alreadyPresent, true);
    assert.equal(again.record.id, id);
    assert.deepEqual(await snapshot(path.join(work, 'data')), before);
    assert.deepEqual((await store.list()).map((record) => record.id), [id]);
    assert.deepEqual(await readdir(store.layout.tmp), []);
  });

  it('imports an ACI written by GNU tar', async () => {
    const gnu = path.join(work, 'gnu.aci');
    await gnuTar(path.join(work, 'image'), gnu);
    const result = await store.importAci(gnu);
    assert.notEqual(result.record.id, id);
    assert.equal((await store.list()).length, 2);
    await store.remove(result.record.id);
  });

  it('resolves IDs by prefix and names by name[:version][,labels]', async () => {
    assert.equal((await store.resolve(id)).id, id);
    assert.equal((await store.resolve(id.slice(0, 'sha512-'.length + 2))).id, id);
    assert.equal((await store.resolve('example.com/busybox')).id, id);
    assert.equal((await store.resolve('example.com/busybox:1.0.0,os=linux')).id, id);
    await assert.rejects(store.resolve('sha512-a'), (error: unknown) => hasErrorCode(error, 'ERR_IMAGE_ID_TOO_SHORT') && error.message === 'image ID too short: "sha512-a"');
    const other = id.startsWith('sha512-00') ? 'sha512-ff' : 'sha512-00';
    await assert.rejects(store.resolve(other), (error: unknown) => hasErrorCode(error, 'ERR_IMAGE_NOT_FOUND') && error.message === `no image IDs found matching "${other}"`);
    await assert.rejects(store.resolve('example.com/busybox:2.0'), (error: unknown) =>
      hasErrorCode(error, 'ERR_IMAGE_NOT_FOUND') && error.message === 'no image named "example.com/busybox" with version=2.0 in the store');
    await assert.rejects(store.resolve('example.com/app:1,version=2'), (error: unknown) =>
      hasErrorCode(error, 'ERR_INVALID_IMAGE_NAME') && error.message.endsWith('the version is given twice'));
  });

  it('tells an ambiguous ID prefix apart from a missing one', async () => {
    const prefixes = new Map<string, ImageId>([[id.slice(0, 9), id]]);
    let clash: [ImageId, ImageId] | undefined;
    for (let index = 0; clash === undefined && index < 200; index += 1) {
      const file = path.join(work, `tiny-${index}.aci`);
      await writeFile(file, await makeTar(minimalEntries(manifestJson(`example.com/tiny-${index}`))));
      const { record } = await store.importAci(file);
      const seen = prefixes.get(record.id.slice(0, 9));
      if (seen !== undefined) clash = [seen, record.id];
      prefixes.set(record.id.slice(0, 9), record.id);
    }
    assert.ok(clash, 'two images sharing 2 hex digits');
    const prefix = clash[0].slice(0, 9);
    await assert.rejects(store.resolve(prefix), (error: unknown) =>
      hasErrorCode(error, 'ERR_IMAGE_ID_AMBIGUOUS') && error.message === `ambiguous image ID: "${prefix}" matches 2 images`);
    assert.equal((await store.resolve(clash[1].slice(0, 20))).id, clash[1]);
    for (const record of await store.list()) if (record.name.startsWith('example.com/tiny-')) await store.remove(record.id);
  });

  it('lists sorted by any field', async () => {
    const small = path.join(work, 'small.aci');
    await writeFile(small, await makeTar(minimalEntries(manifestJson('example.com/aaa'))));
    const { record } = await store.importAci(small);
    assert.deepEqual((await store.list({ sortBy: 'name' })).map((r) => r.name), ['example.com/aaa', 'example.com/busybox']);
    assert.deepEqual((await store.list({ sortBy: 'size', order: 'desc' })).map((r) => r.name), ['example.com/busybox', 'example.com/aaa']);
    assert.deepEqual((await store.list({ sortBy: 'importTime' })).map((r) => r.name), ['example.com/busybox', 'example.com/aaa']);
    await store.remove(record.id);
  });

  it('exports byte-identically and refuses to overwrite', async () => {
    const out = path.join(work, 'exported.aci');
    await store.exportAci(id, out);
    assert.deepEqual(await readFile(out), await readFile(plainAci));
    await assert.rejects(store.exportAci(id, out), (error: unknown) => hasErrorCode(error, 'ERR_DESTINATION_EXISTS'));
    await writeFile(out, 'mine');
    await assert.rejects(store.exportAci(id, out));
    assert.equal(await readFile(out, 'utf8'), 'mine');
    await store.exportAci(id, out, { overwrite: true });
    assert.deepEqual(await readFile(out), await readFile(plainAci));
  });

  it('extracts with and without --rootfs-only and bumps last used', async () => {
    const before = (await store.get(id))?.lastUsed.getTime() ?? 0;
    await store.extract(id, path.join(work, 'x-full'));
    assert.ok((await stat(path.join(work, 'x-full/manifest'))).isFile());
    await store.extract(id, path.join(work, 'x-rootfs'), { rootfsOnly: true });
    assert.deepEqual(await readFile(path.join(work, 'x-rootfs/bin/busybox')), await readFile('/bin/busybox'));
    await assert.rejects(store.extract(id, path.join(work, 'x-rootfs')), (error: unknown) => hasErrorCode(error, 'ERR_DESTINATION_EXISTS'));
    assert.ok(((await store.get(id))?.lastUsed.getTime() ?? 0) >= before);
  });

  it('renders dependencies (by name + labels) with the pathWhitelist applied', async () => {
    const appDir = path.join(work, 'app');
    await mkdir(path.join(appDir, 'rootfs/etc'), { recursive: true });
    await writeFile(path.join(appDir, 'rootfs/etc/hostname'), 'app\n');
    await writeFile(path.join(appDir, 'rootfs/etc/passwd'), 'app:x:1:1::/:/bin/sh\n');
    await writeFile(path.join(appDir, 'manifest'), JSON.stringify(manifestJson('example.com/app', {
      dependencies: [{ imageName: 'example.com/busybox', labels: [{ name: 'version', value: '1.0.0' }] }],
    })));
    const appAci = path.join(work, 'app.aci');
    await buildAci(appDir, appAci);
    const app = (await store.importAci(appAci)).record;
    const tree = await store.render(app.id);
    assert.match(tree.id, /^deps-[0-9a-f]{64}$/);
    assert.deepEqual(tree.layers, [id, app.id]);
    assert.equal(await readFile(path.join(tree.rootfs, 'etc/passwd'), 'utf8'), 'app:x:1:1::/:/bin/sh\n');
    assert.equal(await readFile(path.join(tree.rootfs, 'etc/hostname'), 'utf8'), 'app\n');
    assert.deepEqual(await readFile(path.join(tree.rootfs, 'bin/busybox')), await readFile('/bin/busybox'));
    assert.equal((await store.render(app.id)).id, tree.id, 'rendering twice reuses the tree');

    const slimDir = path.join(work, 'slim');
    await mkdir(path.join(slimDir, 'rootfs'), { recursive: true });
    await writeFile(path.join(slimDir, 'manifest'), JSON.stringify(manifestJson('example.com/slim', {
      dependencies: [{ imageName: 'example.com/busybox', imageID: id }],
      pathWhitelist: ['/bin/busybox', '/bin/sh', '/srv/data'],
    })));
    const slimAci = path.join(work, 'slim.aci');
    await buildAci(slimDir, slimAci);
    const slim = (await store.importAci(slimAci)).record;
    const out = path.join(work, 'slim-rendered');
    await store.renderTo(slim.id, out, { rootfsOnly: true });
    assert.deepEqual((await readdir(out)).sort(), ['bin', 'srv']);
    assert.deepEqual((await readdir(path.join(out, 'bin'))).sort(), ['busybox', 'sh']);
    assert.deepEqual(await readdir(path.join(out, 'srv/data')), ['notes.txt']);
    assert.equal((await stat(path.join(out, 'srv/data'))).mode & 0o7777, 0o2775);

    const orphanDir = path.join(work, 'orphan');
    await mkdir(path.join(orphanDir, 'rootfs'), { recursive: true });
    await writeFile(path.join(orphanDir, 'manifest'), JSON.stringify(manifestJson('example.com/orphan', {
      dependencies: [{ imageName: 'example.com/missing' }],
    })));
    await buildAci(orphanDir, path.join(work, 'orphan.aci'));
    const orphan = (await store.importAci(path.join(work, 'orphan.aci'))).record;
    await assert.rejects(store.render(orphan.id), (error: unknown) =>
      hasErrorCode(error, 'ERR_DEPENDENCY_NOT_FOUND') && error.message === 'dependency example.com/missing of example.com/orphan is not in the store');
  });

  it('verifies a rendered tree, detects a modification and renders it again', async () => {
    const app = await store.resolve('example.com/app');
    const clean = await store.verify(app.id);
    assert.equal(clean.status, 'ok');
    const tree = await store.render(app.id);
    await writeFile(path.join(tree.rootfs, 'etc/hostname'), 'tampered\n');
    const result = await store.verify(app.id);
    assert.equal(result.status, 'rebuilt');
    assert.equal(await readFile(path.join(tree.rootfs, 'etc/hostname'), 'utf8'), 'app\n');
    assert.equal((await store.verify(app.id)).status, 'ok');
    const own = await store.verify(id);
    assert.equal(own.status, 'ok');
  });

  it('reports a never-rendered merged tree', async () => {
    const slim = await store.resolve('example.com/slim');
    const tree = await store.render(slim.id);
    await store.gc({ gracePeriodMs: 24 * 3600_000, referencedTrees: new Set() });
    await assert.rejects(stat(tree.path), { code: 'ENOENT' });
    assert.equal((await store.verify(slim.id)).status, 'not-rendered');
  });

  it('collects garbage: old images, unreferenced trees and crash leftovers, keeping held work', async () => {
    const app = await store.resolve('example.com/app');
    const appTree = await store.render(app.id);
    const stale = path.join(store.layout.tmp, 'stale-import');
    await mkdir(stale);
    await writeFile(path.join(stale, 'blob'), 'partial');
    const live = path.join(store.layout.tmp, 'live-import');
    await mkdir(live);
    const held = await lockFile(path.join(live, 'lock'), 'exclusive');
    await writeFile(path.join(store.layout.blobs, 'ab'.repeat(64)), 'orphan blob');
    try {
      const kept = await store.gc({ gracePeriodMs: 24 * 3600_000, referencedTrees: new Set([appTree.id]) });
      assert.deepEqual(kept.removedImages, []);
      assert.deepEqual(kept.removedTrees, []);
      assert.deepEqual([...kept.removedLeftovers].sort(), [`blobs/sha512/${'ab'.repeat(64)}`, 'tmp/stale-import']);
      assert.ok((await stat(live)).isDirectory());

      const later = new Date(Date.now() + 48 * 3600_000);
      const swept = await store.gc({ gracePeriodMs: 24 * 3600_000, referencedTrees: new Set([appTree.id]), keepImages: new Set([id]), now: later });
      assert.deepEqual(swept.removedImages.map((record) => record.name).sort(), ['example.com/app', 'example.com/orphan', 'example.com/slim']);
      assert.ok(swept.removedTrees.includes(app.id));
      assert.ok(!swept.removedTrees.includes(appTree.id), 'a referenced tree stays');
      assert.deepEqual((await store.list()).map((record) => record.id), [id]);
      assert.ok((await stat(path.join(appTree.rootfs, 'bin/busybox'))).isFile());
      const final = await store.gc({ gracePeriodMs: 0, referencedTrees: new Set() });
      assert.deepEqual(final.removedImages.map((record) => record.id), [id]);
      assert.deepEqual((await readdir(store.layout.trees)).sort(), []);
    } finally {
      await held.release();
    }
  });
});
