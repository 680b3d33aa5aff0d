import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ImageStore, buildAci } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { makeImageDir, makeTar, manifestJson, minimalEntries, removeDir, snapshot, tempDir } from '../fixtures.js';

const imageModuleUrl = new URL('../../../src/image/index.js', import.meta.url).href;

/** Run `rocklet`-like import in a child process; resolves to its stdout. */
function importInChild(dataDir: string, aci: string, children: Set<number>): { done: Promise<string>; pid: number } {
  const script = `import { ImageStore } from ${JSON.stringify(imageModuleUrl)};
const store = await ImageStore.open(${JSON.stringify(dataDir)});
const result = await store.importAci(${JSON.stringify(aci)});
process.stdout.write(JSON.stringify({ id: result.record.id, alreadyPresent: result.alreadyPresent }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid ?? -1;
  children.add(pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.on('close', (code, signal) => {
      children.delete(pid);
      if (code === 0) resolve(stdout);
      else reject(new Error(`import child exited with ${code ?? signal ?? '?'}: ${stderr}`));
    });
  });
  return { done, pid };
}

describe('image store safety', () => {
  let work: string;
  let dataDir: string;
  let store: ImageStore;
  const children = new Set<number>();
  before(async () => {
    work = await tempDir('store-safety');
    dataDir = path.join(work, 'data');
    store = await ImageStore.open(dataDir);
    await writeFile(path.join(work, 'base.aci'), await makeTar(minimalEntries(manifestJson('example.com/base'))));
    await store.importAci(path.join(work, 'base.aci'));
  });
  after(async () => {
    for (const pid of children) process.kill(pid, 'SIGKILL');
    await removeDir(work);
  });

  it('leaves the store unchanged after every bad input', async () => {
    const good = await makeTar(minimalEntries(manifestJson('example.com/good')));
    const bad: [string, Buffer, string][] = [
      ['truncated tar', good.subarray(0, good.length - 1024), 'ERR_TAR_TRUNCATED'],
      ['corrupt tar', Buffer.concat([good.subarray(0, 1124), Buffer.from('x'.repeat(100)), good.subarray(1224)]), 'ERR_TAR_CORRUPT'],
      ['truncated gzip', gzipSync(good).subarray(0, 100), 'ERR_COMPRESSION_TRUNCATED'],
      ['missing manifest', await makeTar(minimalEntries().slice(1)), 'ERR_ACI_NO_MANIFEST'],
      ['manifest not JSON', await makeTar([{ header: { name: 'manifest', type: 'file' }, content: 'nope' }, ...minimalEntries().slice(1)]), 'ERR_MANIFEST_NOT_JSON'],
      ['wrong arch', await makeTar(minimalEntries(manifestJson('example.com/x', { labels: [{ name: 'os', value: 'linux' }, { name: 'arch', value: 'arm64' }] }))), 'ERR_INVALID_MANIFEST'],
      ['unsafe path', await makeTar([...minimalEntries(), { header: { name: 'rootfs/../../../evil', type: 'file' }, content: 'x' }]), 'ERR_TAR_UNSAFE_PATH'],
      ['symlink write-through', await makeTar([...minimalEntries(), { header: { name: 'rootfs/l', type: 'symlink', linkname: work } }, { header: { name: 'rootfs/l/evil', type: 'file' }, content: 'x' }]), 'ERR_TAR_UNSAFE_PATH'],
      ['hardlink outside', await makeTar([...minimalEntries(), { header: { name: 'rootfs/h', type: 'link', linkname: 'manifest' } }]), 'ERR_TAR_UNSAFE_LINK'],
    ];
    const before = await snapshot(dataDir);
    for (const [name, bytes, code] of bad) {
      const file = path.join(work, `bad-${name.replace(/ /g, '-')}.aci`);
      await writeFile(file, bytes);
      await assert.rejects(store.importAci(file), (error: unknown) => hasErrorCode(error, code), name);
      assert.deepEqual(await snapshot(dataDir), before, `store changed after: ${name}`);
    }
    await assert.rejects(stat(path.join(work, 'evil')), { code: 'ENOENT' });
  });

  it('two processes importing the same ACI at once make one entry', async () => {
    const imageDir = path.join(work, 'busybox');
    await makeImageDir(imageDir, manifestJson('example.com/busybox'));
    const aci = path.join(work, 'busybox.aci');
    await buildAci(imageDir, aci);
    const first = importInChild(dataDir, aci, children);
    const second = importInChild(dataDir, aci, children);
    const results = (await Promise.all([first.done, second.done])).map((text) => JSON.parse(text) as { id: string; alreadyPresent: boolean });
    assert.equal(results[0]?.id, results[1]?.id);
    assert.deepEqual(results.map((result) => result.alreadyPresent).sort(), [false, true]);
    const busybox = (await store.list()).filter((record) => record.name === 'example.com/busybox');
    assert.equal(busybox.length, 1);
    assert.deepEqual(await readdir(store.layout.tmp), []);
  });

  it('a process killed in the middle of an import leaves no visible image; gc removes its leftovers', async () => {
    const imageDir = path.join(work, 'big');
    await mkdir(path.join(imageDir, 'rootfs'), { recursive: true });
    await writeFile(path.join(imageDir, 'manifest'), JSON.stringify(manifestJson('example.com/big')));
    for (let index = 0; index < 8; index += 1) await writeFile(path.join(imageDir, 'rootfs', `blob-${index}`), randomBytes(16 * 1024 * 1024));
    const aci = path.join(work, 'big.aci');
    await buildAci(imageDir, aci, { compression: 'none' });
    const before = (await store.list()).map((record) => record.id);
    const child = importInChild(dataDir, aci, children);
    const outcome = child.done.then(() => 'finished', (error: Error) => error.message);
    // Wait until the import has started writing its blob, then kill it without warning.
    for (;;) {
      const dirs = await readdir(store.layout.tmp);
      const sizes = await Promise.all(dirs.map((dir) => stat(path.join(store.layout.tmp, dir, 'blob')).then((s) => s.size, () => 0)));
      if (sizes.some((size) => size > 1024 * 1024)) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    process.kill(child.pid, 'SIGKILL');
    assert.match(await outcome, /exited with SIGKILL/);
    assert.deepEqual((await store.list()).map((record) => record.id), before);
    assert.equal((await readdir(store.layout.tmp)).length, 1, 'the killed import left its work dir');
    const gc = await store.gc({ gracePeriodMs: 24 * 3600_000, referencedTrees: new Set() });
    assert.equal(gc.removedLeftovers.length, 1);
    assert.match(gc.removedLeftovers[0] ?? '', /^tmp\//);
    assert.deepEqual(gc.removedImages, []);
    assert.deepEqual(await readdir(store.layout.tmp), []);
    const result = await store.importAci(aci);
    assert.equal(result.alreadyPresent, false);
    assert.deepEqual(await readFile(store.layout.blob(result.record.id)), await readFile(aci));
  });
});
