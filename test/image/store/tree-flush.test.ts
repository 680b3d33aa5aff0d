/**
 * Trees are a cache of the durable blobs: written unflushed and marked with the boot that wrote
 * them; `image gc` flushes and unmarks them; a tree marked by an earlier boot (the machine
 * restarted before it was flushed, so its files may have lost data) is made again from the
 * blobs before it is used. A restart is simulated by writing another boot ID into the mark and
 * damaging the tree the way a crash can (a file cut short).
 */
import assert from 'node:assert/strict';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImageId } from '../../../src/image/index.js';
import { ImageStore } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { makeTar, manifestJson, minimalEntries, removeDir, tempDir } from '../fixtures.js';

const BOOT_ID = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
const EARLIER_BOOT = '00000000-0000-4000-8000-000000000000';
const CONTENT = 'x'.repeat(10_000);

function markOf(tree: string): Promise<string | undefined> {
  return readFile(path.join(tree, 'unflushed'), 'utf8').then((text) => text.trim(), () => undefined);
}

/** What a crash before the flush can leave: an earlier boot's mark and a file that lost its data. */
async function crash(tree: string, file: string): Promise<void> {
  await writeFile(path.join(tree, 'unflushed'), `${EARLIER_BOOT}\n`);
  await truncate(path.join(tree, 'rootfs', file), 0);
}

/** The entries of an ACI named `example.com/<short>` holding `/etc/<short>.conf` (CONTENT). */
function aciEntries(short: string, extra: Record<string, unknown> = {}): ReturnType<typeof minimalEntries> {
  return [
    ...minimalEntries(manifestJson(`example.com/${short}`, extra)),
    { header: { name: `rootfs/etc/${short}.conf`, type: 'file' }, content: CONTENT },
  ];
}

describe('tree flushing', () => {
  let work: string;
  let store: ImageStore;
  let base: ImageId;
  let app: ImageId;
  before(async () => {
    work = await tempDir('tree-flush');
    store = await ImageStore.open(path.join(work, 'data'));
    await writeFile(path.join(work, 'base.aci'), await makeTar(aciEntries('base')));
    await writeFile(path.join(work, 'app.aci'), await makeTar(aciEntries('app', { dependencies: [{ imageName: 'example.com/base' }] })));
    base = (await store.importAci(path.join(work, 'base.aci'))).record.id;
    app = (await store.importAci(path.join(work, 'app.aci'))).record.id;
  });
  after(() => removeDir(work));

  it('an import leaves its tree marked with this boot; the tree is used as it is', async () => {
    const tree = await store.render(base);
    assert.equal(tree.id, base);
    assert.equal(tree.stale, false);
    assert.equal(await markOf(tree.path), BOOT_ID);
    // Within the boot that wrote it the tree is not made again: a file added to it stays.
    await writeFile(path.join(tree.rootfs, 'sentinel'), 'here');
    assert.equal((await store.usableTree(base))?.path, tree.path);
    assert.equal(await readFile(path.join(tree.rootfs, 'sentinel'), 'utf8'), 'here');
  });

  it('a tree marked by an earlier boot is stale and is unpacked again from the blob', async () => {
    const tree = await store.render(base);
    await crash(tree.path, 'etc/base.conf');
    const listed = (await store.trees()).find((candidate) => candidate.id === base);
    assert.equal(listed?.stale, true);
    const fresh = await store.usableTree(base);
    assert.equal(fresh?.stale, false);
    assert.equal(await readFile(path.join(tree.rootfs, 'etc/base.conf'), 'utf8'), CONTENT);
    assert.equal(await markOf(tree.path), BOOT_ID);
    assert.equal(await stat(path.join(tree.rootfs, 'sentinel')).catch(() => undefined), undefined, 'the stale tree was replaced whole');
  });

  it('a stale merged tree is made again from its layers, and render never hands out a stale tree', async () => {
    const deps = await store.render(app);
    assert.match(deps.id, /^deps-/);
    await crash(deps.path, 'etc/app.conf');
    await crash((await store.render(base)).path, 'etc/base.conf');
    const again = await store.render(app);
    assert.equal(again.id, deps.id);
    assert.equal(again.stale, false);
    assert.equal(await readFile(path.join(again.rootfs, 'etc/app.conf'), 'utf8'), CONTENT);
    assert.equal(await readFile(path.join(again.rootfs, 'etc/base.conf'), 'utf8'), CONTENT);
    // The base image's own tree was stale too: it was unpacked again on the way.
    assert.equal(await readFile(path.join(work, 'data/images/trees', base, 'rootfs/etc/base.conf'), 'utf8'), CONTENT);
  });

  it('image gc flushes the trees of this boot and drops their marks; stale marks stay', async () => {
    const deps = await store.render(app);
    const baseTree = await store.render(base);
    await writeFile(path.join(baseTree.path, 'unflushed'), `${EARLIER_BOOT}\n`);
    const result = await store.gc({ gracePeriodMs: 60_000, referencedTrees: new Set([deps.id]) });
    assert.equal(result.removedImages.length, 0);
    assert.equal(result.flushedTrees, 2, 'the app tree and the merged tree');
    assert.equal(await markOf(deps.path), undefined);
    assert.equal(await markOf(path.join(work, 'data/images/trees', app)), undefined);
    assert.equal(await markOf(baseTree.path), EARLIER_BOOT);
    assert.equal((await store.usableTree(deps.id))?.stale, false);
    assert.equal((await store.gc({ gracePeriodMs: 60_000, referencedTrees: new Set([deps.id]) })).flushedTrees, 0);
  });

  it('a stale tree whose image is gone cannot be made again: a clear error, the tree untouched', async () => {
    const deps = await store.render(app);
    await store.remove(base);
    await crash(deps.path, 'etc/app.conf');
    await assert.rejects(store.usableTree(deps.id), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_TREE_IMAGE_MISSING'));
      assert.match((error as Error).message, new RegExp(`image tree ${deps.id} was not flushed to disk before the machine restarted, and its image ${base} is gone`));
      return true;
    });
    assert.equal(await markOf(deps.path), EARLIER_BOOT);
    assert.equal(await store.usableTree('deps-0000000000000000000000000000000000000000000000000000000000000000'), undefined);
  });
});

describe('image verify of a stale tree', () => {
  let work: string;
  let store: ImageStore;
  let id: ImageId;
  before(async () => {
    work = await tempDir('tree-flush-verify');
    store = await ImageStore.open(path.join(work, 'data'));
    await writeFile(path.join(work, 'base.aci'), await makeTar(aciEntries('base')));
    id = (await store.importAci(path.join(work, 'base.aci'))).record.id;
  });
  after(() => removeDir(work));

  it('keeps a stale tree that still matches its image and drops its mark (what was read came from the disk)', async () => {
    const tree = await store.render(id);
    await writeFile(path.join(tree.path, 'unflushed'), `${EARLIER_BOOT}\n`);
    const before = (await stat(path.join(tree.rootfs, 'etc/base.conf'))).ino;
    const result = await store.verify(id);
    assert.equal(result.status, 'ok');
    assert.equal(await markOf(tree.path), undefined);
    assert.equal((await stat(path.join(tree.rootfs, 'etc/base.conf'))).ino, before, 'the tree was kept, not unpacked again');
    assert.equal((await store.usableTree(id))?.stale, false);
  });

  it('rebuilds a stale tree that lost data', async () => {
    const tree = await store.render(id);
    await crash(tree.path, 'etc/base.conf');
    const result = await store.verify(id);
    assert.equal(result.status, 'rebuilt');
    assert.equal(await readFile(path.join(tree.rootfs, 'etc/base.conf'), 'utf8'), CONTENT);
    assert.equal(await markOf(tree.path), BOOT_ID);
  });
});
