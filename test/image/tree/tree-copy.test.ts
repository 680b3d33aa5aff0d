/**
 * image/tree/tree-copy: times survive a copy to well within a millisecond, never rounded into the
 * next second (a Date would round 0.9996 s up; render compares trees at whole seconds).
 */
import assert from 'node:assert/strict';
import { lstat, lutimes, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyTreeOver } from '../../../src/image/tree/tree-copy.js';
import { makeTempDir } from '../../harness/index.js';
import type { TempDir } from '../../harness/index.js';

const LATE = 1_733_443_200.9996;

describe('copyTreeOver', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('tree-copy');
  });
  after(async () => {
    await tmp.remove();
  });

  it('keeps the mtimes of files, symlinks and directories, late in a second included', async () => {
    const src = path.join(tmp.path, 'src');
    const dest = path.join(tmp.path, 'dest');
    await mkdir(path.join(src, 'etc'), { recursive: true });
    await mkdir(dest);
    await writeFile(path.join(src, 'etc', 'hosts'), '127.0.0.1 localhost\n');
    await symlink('hosts', path.join(src, 'etc', 'hosts.link'));
    await utimes(path.join(src, 'etc', 'hosts'), LATE, LATE);
    await lutimes(path.join(src, 'etc', 'hosts.link'), LATE, LATE);
    await utimes(path.join(src, 'etc'), LATE, LATE);
    await copyTreeOver(src, dest);
    for (const rel of ['etc/hosts', 'etc/hosts.link', 'etc']) {
      const from = await lstat(path.join(src, rel));
      const to = await lstat(path.join(dest, rel));
      assert.equal(Math.floor(to.mtimeMs / 1000), 1_733_443_200, `${rel}: the same second`);
      assert.ok(Math.abs(to.mtimeMs - from.mtimeMs) < 0.01, `${rel}: ${to.mtimeMs} vs ${from.mtimeMs}`);
    }
  });
});
