import assert from 'node:assert/strict';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRemoteRecord, remotePaths, removeStaleDownloads, writePartialMeta, writeRemoteRecord } from '../../../src/image/fetch/remote-cache.js';
import { StoreLayout } from '../../../src/image/store/store-layout.js';
import { lockFile } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';

const ID = `sha512-${'ab'.repeat(64)}`;

describe('fetch/remote-cache', () => {
  let tmp: TempDir;
  let layout: StoreLayout;
  before(async () => {
    tmp = await makeTempDir('remote-cache');
    layout = new StoreLayout(tmp.path);
    await layout.create();
  });
  after(() => tmp.remove());

  it('keeps one record per URL and treats unreadable ones as a miss', async () => {
    const url = 'https://example.com/a.aci';
    const paths = await remotePaths(layout, url);
    assert.equal(await readRemoteRecord(paths, url), undefined);
    const record = { url, imageId: ID as never, etag: '"x"', lastModified: undefined, maxAgeSeconds: 60, checkedAt: 1000, verified: true };
    await writeRemoteRecord(paths, record);
    assert.deepEqual(await readRemoteRecord(paths, url), record);
    assert.equal(path.dirname(paths.record), path.join(layout.root, 'remote'));
    await writeFile(paths.record, '{ torn');
    assert.equal(await readRemoteRecord(paths, url), undefined);
    await writeFile(paths.record, JSON.stringify({ ...record, imageId: 'sha512-short' }));
    assert.equal(await readRemoteRecord(paths, url), undefined);
  });

  it('removes old partial downloads nobody is fetching, and only those', async () => {
    const old = await remotePaths(layout, 'https://example.com/old.aci');
    const busy = await remotePaths(layout, 'https://example.com/busy.aci');
    const recent = await remotePaths(layout, 'https://example.com/recent.aci');
    for (const paths of [old, busy, recent]) {
      await writeFile(paths.part, 'partial');
      await writePartialMeta(paths, { url: 'x' });
    }
    const dayAgo = new Date(Date.now() - 24 * 3600 * 1000);
    await utimes(old.part, dayAgo, dayAgo);
    await utimes(busy.part, dayAgo, dayAgo);
    const held = await lockFile(busy.lock, 'exclusive');
    try {
      const removed = await removeStaleDownloads(layout, 3600 * 1000);
      assert.deepEqual(removed, [`downloads/${path.basename(old.part)}`]);
    } finally {
      await held.release();
    }
    const left = await readdir(path.dirname(old.part));
    assert.ok(!left.includes(path.basename(old.part)) && !left.includes(path.basename(old.meta)));
    assert.ok(left.includes(path.basename(busy.part)) && left.includes(path.basename(recent.part)));
  });
});
