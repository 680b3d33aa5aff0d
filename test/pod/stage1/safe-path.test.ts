/**
 * Safe path walking inside a rootfs: symlinks resolved inside it, escapes refused, and mount
 * targets created without ever following a symlink out of the rootfs.
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureMountTarget, findExecutable, resolveInRoot } from '../../../src/pod/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { buildBusyboxRootfs, makeTempDir } from '../../harness/index.js';

describe('resolveInRoot and ensureMountTarget', () => {
  let base: string;
  let root: string;
  let outside: string;
  let tmp: TempDir | undefined;
  // Registered at suite level: an after() called inside before() would run as soon as before() ends.
  after(() => tmp?.remove());
  before(async () => {
    tmp = await makeTempDir('stage1-safepath');
    base = tmp.path;
    root = path.join(base, 'rootfs');
    outside = path.join(base, 'outside');
    await mkdir(outside);
    await mkdir(path.join(root, 'var/lib'), { recursive: true });
    await mkdir(path.join(root, 'run'), { recursive: true });
    await writeFile(path.join(root, 'var/file'), 'x');
    await symlink('/run', path.join(root, 'var/run'));          // absolute: inside the rootfs
    await symlink('../../..', path.join(root, 'var/lib/up'));   // climbs out
    await symlink(outside, path.join(root, 'host-abs'));         // absolute host path: taken inside the rootfs
    await symlink('loop-b', path.join(root, 'loop-a'));
    await symlink('loop-a', path.join(root, 'loop-b'));
  });

  it('resolves absolute symlinks inside the rootfs', async () => {
    const r = await resolveInRoot(root, '/var/run/app.sock');
    assert.equal(r.path, '/run/app.sock');
    assert.equal(r.stats, undefined);
    assert.equal(r.existingDepth, 1);
    assert.equal((await resolveInRoot(root, '/var/run')).path, '/run');
    assert.equal((await resolveInRoot(root, '/var/run', { followFinal: false })).path, '/var/run');
  });

  it('refuses a symlink that leads out of the rootfs and creates nothing outside', async () => {
    await assert.rejects(ensureMountTarget(root, '/var/lib/up/escaped', 'directory'), (error: unknown) =>
      hasErrorCode(error, 'ERR_ROOTFS_PATH_ESCAPE') && error.message.includes('/var/lib/up/escaped'));
    await assert.rejects(stat(path.join(base, '..', 'escaped')), { code: 'ENOENT' });
    await assert.rejects(ensureMountTarget(root, '/missing/../../x', 'directory'), (error: unknown) => hasErrorCode(error, 'ERR_ROOTFS_PATH_ESCAPE'));
  });

  it('takes an absolute host path in a symlink as a path inside the rootfs', async () => {
    const target = await ensureMountTarget(root, '/host-abs/data', 'directory');
    assert.equal(target, `${outside}/data`);
    assert.ok((await stat(path.join(root, outside, 'data'))).isDirectory());
    assert.deepEqual(await readdir(outside), [], 'nothing created in the host directory the symlink names');
  });

  it('creates missing directories and file targets, and reports the resolved path', async () => {
    assert.equal(await ensureMountTarget(root, '/var/run/secrets/token', 'file'), '/run/secrets/token');
    assert.ok((await lstat(path.join(root, 'run/secrets/token'))).isFile());
    assert.equal(await ensureMountTarget(root, '/data/cache', 'directory'), '/data/cache');
    assert.equal(((await stat(path.join(root, 'data/cache'))).mode & 0o777), 0o755);
    assert.equal(await ensureMountTarget(root, '/data/cache', 'directory'), '/data/cache', 'idempotent');
  });

  it('refuses a target of the wrong kind, a file in the middle, the root and symlink loops', async () => {
    await assert.rejects(ensureMountTarget(root, '/var/file', 'directory'), (error: unknown) => hasErrorCode(error, 'ERR_MOUNT_TARGET_TYPE'));
    await assert.rejects(ensureMountTarget(root, '/var/lib', 'file'), (error: unknown) => hasErrorCode(error, 'ERR_MOUNT_TARGET_TYPE'));
    await assert.rejects(ensureMountTarget(root, '/var/file/x', 'directory'), (error: unknown) => hasErrorCode(error, 'ERR_ROOTFS_NOT_A_DIRECTORY'));
    await assert.rejects(ensureMountTarget(root, '/', 'directory'), (error: unknown) => hasErrorCode(error, 'ERR_MOUNT_TARGET_TYPE'));
    await assert.rejects(resolveInRoot(root, '/loop-a/x'), (error: unknown) => hasErrorCode(error, 'ERR_ROOTFS_SYMLINK_LOOP'));
  });
});

describe('findExecutable', () => {
  let root: string;
  let tmp: TempDir | undefined;
  // Registered at suite level: an after() called inside before() would run as soon as before() ends.
  after(() => tmp?.remove());
  before(async () => {
    tmp = await makeTempDir('stage1-exec');
    root = path.join(tmp.path, 'rootfs');
    await buildBusyboxRootfs(root);
    await writeFile(path.join(root, 'etc/not-exec'), '#!/bin/sh\n');
  });
  const query = { app: 'web', image: 'example.com/busybox', cwd: '/' };

  it('finds absolute paths and PATH names through the applet symlinks', async () => {
    assert.equal(await findExecutable(root, { ...query, exec: '/bin/sh' }), '/bin/busybox');
    assert.equal(await findExecutable(root, { ...query, exec: 'nc' }), '/bin/busybox');
    assert.equal(await findExecutable(root, { ...query, exec: 'busybox', searchPath: '/usr/bin:/bin' }), '/bin/busybox');
    assert.equal(await findExecutable(root, { ...query, exec: './busybox', cwd: '/bin' }), '/bin/busybox');
  });

  it('says which executable the image lacks', async () => {
    await assert.rejects(findExecutable(root, { ...query, exec: '/usr/bin/nginx' }), (error: unknown) =>
      hasErrorCode(error, 'ERR_APP_EXEC_MISSING') && error.message === 'app "web": executable "/usr/bin/nginx" not found in image example.com/busybox');
    await assert.rejects(findExecutable(root, { ...query, exec: 'nginx', searchPath: '/bin' }), (error: unknown) =>
      hasErrorCode(error, 'ERR_APP_EXEC_MISSING') && error.message.includes('(searched PATH /bin)'));
    await assert.rejects(findExecutable(root, { ...query, exec: '/etc/not-exec' }), (error: unknown) => hasErrorCode(error, 'ERR_APP_EXEC_NOT_EXECUTABLE'));
    await assert.rejects(findExecutable(root, { ...query, exec: '/etc' }), (error: unknown) => hasErrorCode(error, 'ERR_APP_EXEC_MISSING'));
  });
});
