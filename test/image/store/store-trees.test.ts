/**
 * The store API the `rocklet image` commands added: listing trees, gc that keeps every tree,
 * and the typed problems of an invalid manifest (also from inside an ACI).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImageId } from '../../../src/image/index.js';
import { ImageStore, checkDestination, manifestProblems, parseImageManifest, readAci } from '../../../src/image/index.js';
import { hasErrorCode, notFound } from '../../../src/util/index.js';
import { makeTar, manifestJson, minimalEntries, removeDir, tempDir } from '../fixtures.js';

describe('ImageStore.trees and gc keepAllTrees', () => {
  let work: string;
  let store: ImageStore;
  let base: ImageId;
  let app: ImageId;
  before(async () => {
    work = await tempDir('store-trees');
    store = await ImageStore.open(path.join(work, 'data'));
    await writeFile(path.join(work, 'base.aci'), await makeTar(minimalEntries(manifestJson('example.com/base'))));
    const appManifest = manifestJson('example.com/app', { dependencies: [{ imageName: 'example.com/base' }] });
    await writeFile(path.join(work, 'app.aci'), await makeTar(minimalEntries(appManifest)));
    base = (await store.importAci(path.join(work, 'base.aci'))).record.id;
    app = (await store.importAci(path.join(work, 'app.aci'))).record.id;
  });
  after(() => removeDir(work));

  it('lists own trees and rendered trees with their layers, lowest first', async () => {
    assert.deepEqual((await store.trees()).map((tree) => [tree.id, tree.layers]).sort(), [[base, [base]], [app, [app]]].sort());
    const rendered = await store.render(app);
    const listed = await store.trees();
    assert.equal(listed.length, 3);
    const deps = listed.find((tree) => tree.id === rendered.id);
    assert.deepEqual(deps?.layers, [base, app]);
    assert.match(deps?.id ?? '', /^deps-[0-9a-f]{64}$/);
    assert.equal(deps?.rootfs, path.join(work, 'data/images/trees', rendered.id, 'rootfs'));
  });

  it('gc with keepAllTrees removes images but no tree; without it, unreferenced trees go', async () => {
    const kept = await store.gc({ gracePeriodMs: 0, referencedTrees: new Set(), keepAllTrees: true });
    assert.deepEqual(kept.removedImages.map((record) => record.id).sort(), [base, app].sort());
    assert.deepEqual(kept.removedTrees, []);
    assert.equal((await store.trees()).length, 3);
    const swept = await store.gc({ gracePeriodMs: 0, referencedTrees: new Set() });
    assert.equal(swept.removedTrees.length, 3);
    assert.deepEqual(await store.trees(), []);
  });
});

describe('manifestProblems', () => {
  const bad = { ...manifestJson('Bad Name'), acKind: 'PodManifest' };
  const expected = [
    { path: 'acKind', message: 'must be "ImageManifest", not "PodManifest"' },
    { path: 'name', message: '"Bad Name" is not an AC Identifier: uppercase letters are not allowed' },
  ];

  it('gives the problems of an invalid manifest, read alone or from an ACI', async (t) => {
    let thrown: unknown;
    try {
      parseImageManifest(JSON.stringify(bad));
    } catch (error) {
      thrown = error;
    }
    assert.ok(hasErrorCode(thrown, 'ERR_INVALID_MANIFEST'));
    assert.deepEqual(manifestProblems(thrown), expected);
    const work = await tempDir('manifest-problems');
    t.after(() => removeDir(work));
    await writeFile(path.join(work, 'bad.aci'), await makeTar(minimalEntries(bad)));
    await assert.rejects(readAci(path.join(work, 'bad.aci')), (error: unknown) => {
      assert.deepEqual(manifestProblems(error), expected);
      return true;
    });
  });

  it('is undefined for any other error', () => {
    assert.equal(manifestProblems(notFound('ERR_IMAGE_NOT_FOUND', 'x')), undefined);
    assert.equal(manifestProblems(new Error('ERR_INVALID_MANIFEST')), undefined);
  });
});

describe('checkDestination', () => {
  it('refuses "/" always and an existing path unless overwrite', async () => {
    await assert.rejects(checkDestination('/', true), (error: unknown) => hasErrorCode(error, 'ERR_DESTINATION_ROOT'));
    await assert.rejects(checkDestination('/tmp', false), (error: unknown) => hasErrorCode(error, 'ERR_DESTINATION_EXISTS'));
    await checkDestination('/tmp', true);
    await checkDestination('/tmp/rocklet-does-not-exist-here', false);
  });
});
