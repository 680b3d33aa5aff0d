/**
 * subPath pins (root, real bind mounts in this process's mount namespace, below a temp dir and
 * removed at the end): what is bound is the inode that was checked, and a symlink swapped into
 * the path after it was resolved is refused instead of followed (CVE-2017-1002101's race).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rename, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CURRENT_MOUNT_NAMESPACE } from '../../../src/pod/index.js';
import { pinSubPath, subPathPinDir, unpinSubPaths } from '../../../src/pod/stage1/subpath-pin.js';
import { subPathVolume } from '../../../src/pod/stage1/volumes.js';
import { isMountRoot, unmountFs } from '../../../src/util/index.js';
import { makeTempDir } from '../../harness/index.js';
import type { TempDir } from '../../harness/index.js';

const ns = CURRENT_MOUNT_NAMESPACE;

describe('pod/stage1/subpath-pin', () => {
  let tmp: TempDir;
  let volume: string;
  let outside: string;
  let podDir: string;
  before(async () => {
    tmp = await makeTempDir('subpath-pin');
    volume = path.join(tmp.path, 'volume');
    outside = path.join(tmp.path, 'outside');
    podDir = path.join(tmp.path, 'pod');
    await mkdir(path.join(volume, 'a', 'b'), { recursive: true });
    await writeFile(path.join(volume, 'a', 'config.txt'), 'in the volume\n');
    await mkdir(path.join(outside, 'b'), { recursive: true });
    await writeFile(path.join(outside, 'b', 'secret'), 'host file\n');
  });
  after(async () => {
    // Whatever a failed test left mounted below the temp dir goes before the dir does.
    for (const app of ['web', 'race', 'final', 'resolve']) await unpinSubPaths(ns, podDir, app).catch(() => {});
    for (const dir of [path.join(podDir, 'subpaths', 'race', '0'), path.join(podDir, 'subpaths', 'final', '0')]) {
      if (isMountRoot(dir) === true) unmountFs(dir, { detach: true });
    }
    await tmp?.remove();
  });

  it('binds a directory and a file of the volume onto pins; writes through a pin land in the volume', async () => {
    const dirPin = path.join(subPathPinDir(podDir, 'web'), '0');
    const filePin = path.join(subPathPinDir(podDir, 'web'), '1');
    await pinSubPath(ns, volume, '/a/b', dirPin, 'directory', false);
    await pinSubPath(ns, volume, '/a/config.txt', filePin, 'file', false);
    assert.equal(isMountRoot(dirPin), true);
    await writeFile(path.join(dirPin, 'written'), 'via the pin\n');
    assert.equal(await readFile(path.join(volume, 'a', 'b', 'written'), 'utf8'), 'via the pin\n');
    assert.equal(await readFile(filePin, 'utf8'), 'in the volume\n');

    await unpinSubPaths(ns, podDir, 'web');
    await assert.rejects(stat(subPathPinDir(podDir, 'web')), { code: 'ENOENT' });
    assert.deepEqual((await readdir(path.join(volume, 'a', 'b'))).sort(), ['written'], 'the volume keeps its files');
    await unpinSubPaths(ns, podDir, 'web'); // idempotent
  });

  it('refuses a path whose directory was swapped for a symlink after it was resolved', async () => {
    // Resolved as /a/b while a was a directory; then a pod's app replaces a with a link to the host.
    const race = path.join(tmp.path, 'race-volume');
    await mkdir(path.join(race, 'a', 'b'), { recursive: true });
    await rename(path.join(race, 'a'), path.join(race, 'a-moved'));
    await symlink(outside, path.join(race, 'a'));
    const pin = path.join(subPathPinDir(podDir, 'race'), '0');
    await assert.rejects(pinSubPath(ns, race, '/a/b', pin, 'directory', false), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_SUBPATH_CHANGED');
      assert.match(error.message, /subPath "a\/b" of volume .* changed while it was being mounted: "a" is a symlink now/);
      return true;
    });
    assert.notEqual(isMountRoot(pin), true, 'nothing was mounted');
  });

  it('refuses a final component swapped for a symlink, and an entry of the other kind', async () => {
    const race = path.join(tmp.path, 'final-volume');
    await mkdir(race, { recursive: true });
    await symlink(path.join(outside, 'b'), path.join(race, 'data'));
    const pin = path.join(subPathPinDir(podDir, 'final'), '0');
    await assert.rejects(pinSubPath(ns, race, '/data', pin, 'directory', false), { code: 'ERR_SUBPATH_CHANGED' });
    await writeFile(path.join(race, 'plain'), 'x');
    await assert.rejects(pinSubPath(ns, race, '/plain', pin, 'directory', false), /it is not a directory now/);
    await assert.rejects(pinSubPath(ns, race, '/missing', pin, 'directory', false), { code: 'ERR_SUBPATH_CHANGED' });
    assert.notEqual(isMountRoot(pin), true, 'nothing was mounted');
  });

  it('subPathVolume resolves symlinks inside the volume, then hands crun the pin', async () => {
    await symlink('a/b', path.join(volume, 'link-to-b'));
    const pin = path.join(subPathPinDir(podDir, 'resolve'), '0');
    const prepared = await subPathVolume(ns, { name: 'data', source: volume, kind: 'directory', recursive: false }, 'link-to-b', pin);
    assert.equal(prepared.source, pin);
    assert.equal(prepared.kind, 'directory');
    assert.deepEqual(await readdir(pin), ['written']);
    await unpinSubPaths(ns, podDir, 'resolve');
  });
});
