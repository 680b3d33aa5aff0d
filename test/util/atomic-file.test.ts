import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isAtomicTempName, renameDurable, writeFileAtomic, writeJsonAtomic } from '../../src/util/index.js';

describe('writeFileAtomic', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rocklet-atomic-'));
  after(async () => rm(dir, { recursive: true, force: true }));

  it('creates a file with the exact mode whatever the umask', async () => {
    const target = path.join(dir, 'a.json');
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(target, 'hello', { mode: 0o644 });
    } finally {
      process.umask(old);
    }
    assert.equal(await readFile(target, 'utf8'), 'hello');
    assert.equal((await stat(target)).mode & 0o7777, 0o644);
  });

  it('replaces a file atomically without fsync when not durable, with the same content and mode', async () => {
    const target = path.join(dir, 'volatile');
    await writeFile(target, 'old');
    await writeFileAtomic(target, 'new', { mode: 0o600, durable: false });
    assert.equal(await readFile(target, 'utf8'), 'new');
    assert.equal((await stat(target)).mode & 0o7777, 0o600);
    assert.deepEqual((await readdir(dir)).filter(isAtomicTempName), []);
  });

  it('replaces existing content and leaves no temp file behind', async () => {
    const target = path.join(dir, 'b.json');
    await writeFile(target, 'old');
    await writeJsonAtomic(target, { value: 1 });
    assert.deepEqual(JSON.parse(await readFile(target, 'utf8')), { value: 1 });
    const names = await readdir(dir);
    assert.deepEqual(names.filter(isAtomicTempName), []);
  });

  it('leaves the target untouched and removes the temp file when the rename fails', async () => {
    const target = path.join(dir, 'adir');
    await writeFile(path.join(dir, 'keep'), 'x');
    // A non-empty directory cannot be replaced by rename(2): the write must fail cleanly.
    await rm(target, { recursive: true, force: true });
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(path.join(target, 'child'), { recursive: true });
    });
    await assert.rejects(writeFileAtomic(target, 'data'), (error: NodeJS.ErrnoException) => error.code === 'EISDIR');
    assert.equal((await stat(target)).isDirectory(), true);
    assert.deepEqual((await readdir(dir)).filter(isAtomicTempName), []);
  });

  it('fails when the parent directory is missing', async () => {
    await assert.rejects(writeFileAtomic(path.join(dir, 'missing', 'x'), 'data'), { code: 'ENOENT' });
  });
});

describe('renameDurable', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rocklet-atomic-'));
  after(async () => rm(dir, { recursive: true, force: true }));

  it('moves a file between directories', async () => {
    const from = path.join(dir, 'from');
    await writeFile(from, 'content');
    await import('node:fs/promises').then(async (fs) => fs.mkdir(path.join(dir, 'sub')));
    await renameDurable(from, path.join(dir, 'sub', 'to'));
    assert.equal(await readFile(path.join(dir, 'sub', 'to'), 'utf8'), 'content');
    await assert.rejects(stat(from), { code: 'ENOENT' });
  });
});
