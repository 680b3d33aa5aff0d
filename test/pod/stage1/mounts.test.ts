/**
 * stage1's mounts in this process's own mount namespace (the production path: direct system
 * calls through util's native helper), against the real kernel: overlay and tmpfs mounts are
 * idempotent, an overlay writes to its upper dir only, a busy mount is detached, and every
 * call reports through rocklet's error codes.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CURRENT_MOUNT_NAMESPACE as HERE, isMountPoint, listMountPoints, mountOverlay, mountTmpfs, unmount } from '../../../src/pod/index.js';
import { hasErrorCode, unmountFs } from '../../../src/util/index.js';

describe('stage1 mounts in the own mount namespace', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `rltest-mounts-${process.pid}-`));
  });
  after(async () => {
    const left = (await listMountPoints(HERE)).filter((m) => m.startsWith(`${dir}/`)).reverse();
    for (const mount of left) unmountFs(mount, { detach: true });
    await rm(dir, { recursive: true, force: true });
  });

  it('mounts an overlay once, writes go to the upper dir, unmount is idempotent', async () => {
    const [lower, upper, work, target] = ['lower', 'upper', 'work', 'rootfs'].map((d) => path.join(dir, d)) as [string, string, string, string];
    for (const d of [lower, upper, work, target]) await mkdir(d);
    await writeFile(path.join(lower, 'from-image'), 'image\n');
    assert.equal(await mountOverlay(HERE, { lowerDirs: [lower], writable: { upperDir: upper, workDir: work }, target }), true);
    assert.equal(await mountOverlay(HERE, { lowerDirs: [lower], writable: { upperDir: upper, workDir: work }, target }), false, 'second call is a no-op');
    assert.equal((await listMountPoints(HERE)).filter((m) => m === target).length, 1, 'mounted exactly once');
    assert.equal(await readFile(path.join(target, 'from-image'), 'utf8'), 'image\n');
    await writeFile(path.join(target, 'from-app'), 'app\n');
    assert.equal(await readFile(path.join(upper, 'from-app'), 'utf8'), 'app\n');
    await assert.rejects(stat(path.join(lower, 'from-app')), { code: 'ENOENT' });
    assert.equal(await unmount(HERE, target), true);
    assert.equal(await isMountPoint(HERE, target), false);
    assert.equal(await unmount(HERE, target), false, 'nothing left to unmount');
  });

  it('mounts a read-only overlay when no writable layer is given', async () => {
    const [top, bottom, target] = ['ro-top', 'ro-bottom', 'ro-rootfs'].map((d) => path.join(dir, d)) as [string, string, string];
    for (const d of [top, bottom, target]) await mkdir(d);
    await writeFile(path.join(top, 'f'), 'top\n');
    await writeFile(path.join(bottom, 'f'), 'bottom\n');
    await writeFile(path.join(bottom, 'g'), 'bottom only\n');
    assert.equal(await mountOverlay(HERE, { lowerDirs: [top, bottom], target }), true);
    try {
      assert.equal(await readFile(path.join(target, 'f'), 'utf8'), 'top\n', 'the first lower dir wins');
      assert.equal(await readFile(path.join(target, 'g'), 'utf8'), 'bottom only\n');
      await assert.rejects(writeFile(path.join(target, 'new'), 'x'), { code: 'EROFS' });
    } finally {
      await unmount(HERE, target);
    }
  });

  it('mounts a tmpfs with mode, owner and size, and detaches it while a file is open in it', async () => {
    const target = path.join(dir, 'volume');
    await mkdir(target);
    assert.equal(await mountTmpfs(HERE, target, { mode: 0o1777, uid: 1234, gid: 5678, sizeBytes: 1 << 20 }), true);
    const info = await stat(target);
    assert.deepEqual([info.mode & 0o7777, info.uid, info.gid], [0o1777, 1234, 5678]);
    const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === target) ?? '';
    assert.match(line, /\bnosuid\b.*\bnodev\b|\bnodev\b.*\bnosuid\b/);
    const handle = await open(path.join(target, 'held'), 'w');
    try {
      assert.equal(await unmount(HERE, target), true, 'a busy tmpfs is detached, not an error');
      assert.equal(await isMountPoint(HERE, target), false);
    } finally {
      await handle.close();
    }
  });

  it('reports a failed mount as ERR_MOUNT_FAILED naming the target and the errno', async () => {
    const target = path.join(dir, 'no-upper');
    await mkdir(target);
    const missing = path.join(dir, 'missing-lower');
    await assert.rejects(
      mountOverlay(HERE, { lowerDirs: [missing], writable: { upperDir: path.join(dir, 'u2'), workDir: path.join(dir, 'w2') }, target }),
      (error: unknown) => hasErrorCode(error, 'ERR_MOUNT_FAILED') && /mount overlay at .*no-upper: E[A-Z]+: /.test((error as Error).message),
    );
    assert.equal(await isMountPoint(HERE, target), false);
  });
});
