/**
 * The launcher's code cache: which directory and file a process uses, and that only a file and
 * directory private to the user are read (real files in a temp dir; ownership changed with chown).
 */
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CODE_CACHE_DIR, asksForHelp, codeCacheDir, codeCacheFileName, commandWord, readCodeCache, writeCodeCache } from '../../src/cli/code-cache.js';
import { makeTempDir } from '../harness/index.js';
import type { TempDir } from '../harness/index.js';

const EUID = process.geteuid?.() ?? 0;

describe('codeCacheDir', () => {
  it('is /var/cache/rocklet/code for root, the XDG cache (or ~/.cache) for anyone else', () => {
    assert.equal(codeCacheDir({}, 0, '/root'), SYSTEM_CODE_CACHE_DIR);
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/home/u/.xdg' }, 1000, '/home/u'), '/home/u/.xdg/rocklet/code');
    assert.equal(codeCacheDir({}, 1000, '/home/u'), '/home/u/.cache/rocklet/code');
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: 'relative' }, 1000, '/home/u'), '/home/u/.cache/rocklet/code');
    assert.equal(codeCacheDir({}, 1000, ''), undefined);
  });

  it('follows ROCKLET_CODE_CACHE: a directory, or off; a relative path is ignored', () => {
    assert.equal(codeCacheDir({ ROCKLET_CODE_CACHE: '/srv/cache' }, 0, '/root'), '/srv/cache');
    assert.equal(codeCacheDir({ ROCKLET_CODE_CACHE: 'off' }, 0, '/root'), undefined);
    assert.equal(codeCacheDir({ ROCKLET_CODE_CACHE: 'cache' }, 0, '/root'), undefined);
    assert.equal(codeCacheDir({ ROCKLET_CODE_CACHE: '' }, 0, '/root'), SYSTEM_CODE_CACHE_DIR);
  });
});

describe('commandWord and the file name', () => {
  it('takes the first word that looks like a command, skipping flags and paths', () => {
    assert.equal(commandWord(['--dir', '/var/lib/x', 'run', '--net=none', 'img']), 'run');
    assert.equal(commandWord(['--debug', 'image', 'list']), 'image');
    assert.equal(commandWord(['--help']), 'none');
    assert.equal(commandWord(['--', 'run']), 'none');
    assert.equal(commandWord(['Run', '../x', 'a'.repeat(40), 'x']), 'x');
  });

  it("adds a group's subcommand, and only a group's", () => {
    const groups = ['image', 'pod', 'app'];
    assert.equal(commandWord(['--debug', 'image', 'list', '--no-legend'], groups), 'image.list');
    assert.equal(commandWord(['app', '--debug', 'prepare', 'uuid', 'web'], groups), 'app.prepare');
    assert.equal(commandWord(['image', '--help'], groups), 'image');
    assert.equal(commandWord(['run', 'busybox'], groups), 'run');
    assert.equal(commandWord(['image', 'list'], []), 'image');
  });

  it('tells a request for help from the command itself', () => {
    assert.equal(asksForHelp(['run', '--help']), true);
    assert.equal(asksForHelp(['-h']), true);
    assert.equal(asksForHelp(['help', 'run']), true);
    assert.equal(asksForHelp(['run', 'img', '--', '--help']), false);
    assert.equal(asksForHelp(['run', '--net=none', 'img']), false);
  });

  it('names the bundle, the V8 version (made safe) and the word', () => {
    assert.equal(codeCacheFileName('0123456789abcdef', '11.3.244.8-node.38', 'run'), '0123456789abcdef-v8.11.3.244.8_node.38-run.bin');
    assert.equal(codeCacheFileName('0123456789abcdef', '11.3', 'run', '  '), '0123456789abcdef-v8.11.3-run.bin');
  });

  it("keeps apart the caches of Node's options (V8 refuses a cache made under other flags)", () => {
    const daemon = codeCacheFileName('b', '11.3', 'daemon', ' --max-old-space-size=96');
    assert.match(daemon, /^b-v8\.11\.3\.o[0-9a-f]{8}-daemon\.bin$/);
    assert.notEqual(daemon, codeCacheFileName('b', '11.3', 'daemon', '--max-old-space-size=128'));
    assert.equal(daemon, codeCacheFileName('b', '11.3', 'daemon', '--max-old-space-size=96 '));
  });
});

describe('readCodeCache and writeCodeCache', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('code-cache');
  });
  after(async () => {
    await tmp.remove();
  });

  it('writes a 0600 file in a 0700 directory it makes, and reads it back', async () => {
    const dir = path.join(tmp.path, 'made', 'code');
    writeCodeCache(dir, 'b1-v8.1-run.bin', Buffer.from('bytecode'), EUID);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(dir, 'b1-v8.1-run.bin'))).mode & 0o777, 0o600);
    assert.equal(readCodeCache(dir, 'b1-v8.1-run.bin', EUID)?.toString(), 'bytecode');
    assert.equal(readCodeCache(dir, 'b1-v8.1-list.bin', EUID), undefined);
    assert.deepEqual(await readdir(dir), ['b1-v8.1-run.bin'], 'no temp file is left');
  });

  it('ignores a directory others can write, a file others own or can write, and a symlink', async () => {
    const open = path.join(tmp.path, 'open');
    await mkdir(open, { mode: 0o700 });
    await writeFile(path.join(open, 'x.bin'), 'bytecode', { mode: 0o600 });
    await chmod(open, 0o770);
    assert.equal(readCodeCache(open, 'x.bin', EUID), undefined, 'group-writable directory');
    writeCodeCache(open, 'y.bin', Buffer.from('new'), EUID);
    assert.deepEqual((await readdir(open)).sort(), ['x.bin'], 'nothing is written into it either');

    const dir = path.join(tmp.path, 'files');
    await mkdir(dir, { mode: 0o700 });
    await writeFile(path.join(dir, 'writable.bin'), 'bytecode', { mode: 0o600 });
    await chmod(path.join(dir, 'writable.bin'), 0o620);
    assert.equal(readCodeCache(dir, 'writable.bin', EUID), undefined, 'group-writable file');
    await writeFile(path.join(dir, 'foreign.bin'), 'bytecode', { mode: 0o600 });
    await chown(path.join(dir, 'foreign.bin'), 65534, 65534);
    assert.equal(readCodeCache(dir, 'foreign.bin', EUID), undefined, 'a file of another user');
    await writeFile(path.join(tmp.path, 'target.bin'), 'bytecode', { mode: 0o600 });
    await symlink(path.join(tmp.path, 'target.bin'), path.join(dir, 'link.bin'));
    assert.equal(readCodeCache(dir, 'link.bin', EUID), undefined, 'a symlink');
    assert.equal(readCodeCache(dir, 'target.bin', 65534), undefined, 'the directory is not 65534s');
  });

  it("removes other bundles' files when it writes, and keeps this bundle's newest 32", async () => {
    const dir = path.join(tmp.path, 'prune');
    await mkdir(dir, { mode: 0o700 });
    await writeFile(path.join(dir, 'oldbundle-v8.1-run.bin'), 'old', { mode: 0o600 });
    await writeFile(path.join(dir, 'unrelated.txt'), 'kept', { mode: 0o600 });
    for (let i = 0; i < 35; i++) {
      const file = path.join(dir, `new-v8.1-w${i}.bin`);
      await writeFile(file, 'x', { mode: 0o600 });
      await utimes(file, 1_000_000 + i, 1_000_000 + i);
    }
    writeCodeCache(dir, 'new-v8.1-run.bin', Buffer.from('fresh'), EUID);
    const names = await readdir(dir);
    assert.ok(!names.includes('oldbundle-v8.1-run.bin'));
    assert.ok(names.includes('unrelated.txt'));
    assert.ok(names.includes('new-v8.1-run.bin'), 'the file just written is the newest');
    assert.equal(names.filter((n) => n.startsWith('new-')).length, 32);
    for (const oldest of ['w0', 'w1', 'w2', 'w3']) assert.ok(!names.includes(`new-v8.1-${oldest}.bin`), oldest);
  });
});
