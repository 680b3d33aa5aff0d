import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { INLINE_HASH_MAX_BYTES } from '../../../src/image/format/aci/aci-reader.js';
import { ImageStore, buildAci, hashTree } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { manifestJson, removeDir, snapshot, tempDir } from '../fixtures.js';

const execFileAsync = promisify(execFile);
const imageModuleUrl = new URL('../../../src/image/index.js', import.meta.url).href;

/** `bytes` as a stream of `size`-byte chunks; calls `onYield` with the bytes yielded so far. */
async function* chunked(bytes: Buffer, size: number, onYield?: (sent: number) => void): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) {
    yield bytes.subarray(offset, offset + size);
    onYield?.(offset + size);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// Images above INLINE_HASH_MAX_BYTES are hashed on the worker thread: these tests use one.
describe('image import (hashing on a worker thread)', () => {
  let work: string;
  let aci: string;
  let aciBytes: Buffer;
  let store: ImageStore;
  before(async () => {
    work = await tempDir('store-import');
    const rootfs = path.join(work, 'image', 'rootfs');
    await mkdir(path.join(rootfs, 'data', 'small'), { recursive: true });
    await writeFile(path.join(work, 'image', 'manifest'), JSON.stringify(manifestJson('example.com/large')));
    for (let index = 0; index < 6; index += 1) await writeFile(path.join(rootfs, 'data', `big-${index}`), randomBytes(1024 * 1024 + index * 777));
    for (let index = 0; index < 300; index += 1) await writeFile(path.join(rootfs, 'data', 'small', `f-${index}`), randomBytes(index * 13));
    await writeFile(path.join(rootfs, 'data', 'empty'), '');
    await link(path.join(rootfs, 'data', 'big-3'), path.join(rootfs, 'data', 'big-3-link'));
    aci = path.join(work, 'large.aci');
    await buildAci(path.join(work, 'image'), aci, { compression: 'none' });
    aciBytes = await readFile(aci);
    assert.ok(aciBytes.length > INLINE_HASH_MAX_BYTES, 'the fixture must be large enough for the worker path');
    store = await ImageStore.open(path.join(work, 'data'));
  });
  after(() => removeDir(work));

  it('imports: blob byte-identical; the first verify derives the tree hash from the blob, equal to a fresh walk', async () => {
    const result = await store.importAci(aci);
    assert.equal(result.alreadyPresent, false);
    assert.deepEqual(await readFile(store.layout.blob(result.record.id)), aciBytes);
    const tree = store.layout.tree(result.record.id);
    const hashFile = path.join(tree, 'hash');
    assert.equal((await readFile(hashFile, 'utf8')).trim(), 'from-blob', 'the import leaves the tree hash to the first verify');
    assert.equal((await store.verify(result.record.id)).status, 'ok');
    const recorded = (await readFile(hashFile, 'utf8')).trim();
    assert.equal(recorded, await hashTree(path.join(tree, 'rootfs')), 'the hash derived from the blob matches the files on disk');
    assert.equal(recorded, await hashTree(path.join(work, 'image', 'rootfs')), 'and the source tree');
    assert.equal((await store.verify(result.record.id)).status, 'ok');
    const out = path.join(work, 'exported.aci');
    await store.exportAci(result.record.id, out);
    assert.deepEqual(await readFile(out), aciBytes);
  });

  it('reports its progress: the tar bytes unpacked so far, growing to the whole tar', async () => {
    const fresh = await ImageStore.open(path.join(work, 'progress-data'));
    const seen: number[] = [];
    const { record } = await fresh.importAci(aci, { onProgress: (bytes) => seen.push(bytes) });
    assert.ok(seen.length > 1, `several reports, got ${seen.length}`);
    assert.ok(seen.every((bytes, i) => i === 0 || bytes > (seen[i - 1] ?? 0)), 'each report is larger than the one before');
    assert.equal(seen.at(-1), aciBytes.length, 'the last is the whole (uncompressed) tar');
    assert.equal(seen.at(-1), record.sizeBytes);
  });

  it('a tree modified before its first verify is detected and rendered again from the blob', async () => {
    const fresh = await ImageStore.open(path.join(work, 'tamper-data'));
    const { record } = await fresh.importAci(aci);
    const rootfs = path.join(fresh.layout.tree(record.id), 'rootfs');
    const victim = path.join(rootfs, 'data', 'small', 'f-7');
    const original = await readFile(victim);
    await writeFile(victim, 'tampered');
    const result = await fresh.verify(record.id);
    assert.equal(result.status, 'rebuilt');
    assert.ok(result.status === 'rebuilt' && result.expected === await hashTree(path.join(work, 'image', 'rootfs')), 'expected: the hash of the image\'s own tree');
    assert.deepEqual(await readFile(victim), original, 'repaired');
    assert.equal((await fresh.verify(record.id)).status, 'ok');
  });

  it('imports the same image from a gzip byte stream to the same ID', async () => {
    const gz = gzipSync(aciBytes);
    const result = await store.importAci(chunked(gz, 100_000), { sourceName: 'stream' });
    assert.equal(result.compression, 'gzip');
    assert.equal(result.alreadyPresent, true);
    assert.deepEqual((await store.list()).map((record) => record.name), ['example.com/large']);
  });

  it('works in a process started with flags the worker must not inherit (--input-type)', async () => {
    const dataDir = path.join(work, 'child-data');
    const script = `import { ImageStore } from ${JSON.stringify(imageModuleUrl)};
const store = await ImageStore.open(${JSON.stringify(dataDir)});
const result = await store.importAci(${JSON.stringify(aci)});
process.stdout.write(result.record.id);`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script]);
    assert.equal(stdout, (await store.list())[0]?.id);
  });

  it('an aborted import leaves the store as it was', async () => {
    const dataDir = path.join(work, 'abort-data');
    const fresh = await ImageStore.open(dataDir);
    const before = await snapshot(dataDir);
    const controller = new AbortController();
    const source = chunked(aciBytes, 256 * 1024, (sent) => {
      if (sent >= 3 * 1024 * 1024) controller.abort();
    });
    await assert.rejects(fresh.importAci(source, { signal: controller.signal }), { name: 'AbortError' });
    assert.deepEqual(await snapshot(dataDir), before);
    assert.deepEqual(await readdir(fresh.layout.tmp), []);
  });

  it('a corrupt header deep inside a large archive fails cleanly and changes nothing', async () => {
    const dataDir = path.join(work, 'corrupt-data');
    const fresh = await ImageStore.open(dataDir);
    const before = await snapshot(dataDir);
    const corrupt = Buffer.from(aciBytes);
    // The header of the last entry: the first 512-byte block after the middle that looks like one.
    const headerAt = corrupt.indexOf('ustar', corrupt.length - 200_000) - 257;
    assert.equal(headerAt % 512, 0, 'found a header block');
    corrupt.write('garbage!', headerAt + 100, 'latin1');
    const file = path.join(work, 'corrupt.aci');
    await writeFile(file, corrupt);
    await assert.rejects(fresh.importAci(file), (error: unknown) => hasErrorCode(error, 'ERR_TAR_CORRUPT'));
    assert.deepEqual(await snapshot(dataDir), before);
  });
});
