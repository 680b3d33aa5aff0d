/**
 * Prefilled emptyDirs (Docker's VOLUME semantics for the implicit volumes of Docker-style
 * images): prepareVolume copies the image's directory at the mount point from the topmost
 * layer that has it, keeping modes, owners, times and symlinks (never following one), and
 * only into a volume it makes: a second prepare keeps what the app wrote. Real files in a temp
 * dir, run as root (owners are copied).
 */
import assert from 'node:assert/strict';
import type { Stats } from 'node:fs';
import { chmod, chown, lchown, lstat, lutimes, mkdir, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AbsolutePath, VolumeName, VolumeSpec } from '../../../src/podfile/index.js';
import { CURRENT_MOUNT_NAMESPACE, prepareVolume, volumeDir } from '../../../src/pod/index.js';
import type { VolumePrefill } from '../../../src/pod/stage1/volumes.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';

const ns = CURRENT_MOUNT_NAMESPACE;
const T1 = new Date('2001-02-03T04:05:06Z');
const T2 = new Date('2002-03-04T05:06:07Z');
const T3 = new Date('2003-04-05T06:07:08Z');

function emptyDir(name: string, mode = 0o755, owner = { uid: 0, gid: 0 }): VolumeSpec {
  return { name: name as VolumeName, source: { kind: 'emptyDir', medium: 'Disk', mode, uid: owner.uid, gid: owner.gid } };
}

async function put(file: string, content: string, meta: { mode: number; uid: number; gid: number; mtime: Date }): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  await chown(file, meta.uid, meta.gid);
  await chmod(file, meta.mode);
  await utimes(file, meta.mtime, meta.mtime);
}

async function dirMeta(dir: string, meta: { mode: number; uid: number; gid: number; mtime: Date }): Promise<void> {
  await chown(dir, meta.uid, meta.gid);
  await chmod(dir, meta.mode);
  await utimes(dir, meta.mtime, meta.mtime);
}

/** What the image holds at /var/data. */
const IMAGE_DATA = ['bin/', 'bin/tool', 'hello.txt', 'shadow -> /etc/shadow', 'sub/', 'sub/deeper/', 'sub/deeper/note', 'sub/up -> ../../../../../etc'];

const meta = (stats: Stats): [number, number, number, number] => [stats.mode & 0o7777, stats.uid, stats.gid, stats.mtimeMs];

/** Every entry below `dir`, sorted (`d/` for directories, `l -> target` for symlinks). */
async function listing(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(path.join(dir, rel))).sort()) {
    const child = rel === '' ? name : `${rel}/${name}`;
    const stats = await lstat(path.join(dir, child));
    if (stats.isDirectory()) out.push(`${child}/`, ...(await listing(dir, child)));
    else if (stats.isSymbolicLink()) out.push(`${child} -> ${await readlink(path.join(dir, child))}`);
    else out.push(child);
  }
  return out;
}

describe('prefilled emptyDir volumes', () => {
  let tmp: TempDir;
  let top: string;
  let base: string;
  let pods = 0;
  before(async () => {
    tmp = await makeTempDir('volumes-prefill');
    // Two image layers, topmost first: the top one lacks /var/data, the base one has it.
    top = path.join(tmp.path, 'trees/top/rootfs');
    base = path.join(tmp.path, 'trees/base/rootfs');
    await put(path.join(top, 'etc/marker'), 'top\n', { mode: 0o644, uid: 0, gid: 0, mtime: T1 });
    await put(path.join(top, 'srv/web/index.html'), 'from top\n', { mode: 0o644, uid: 0, gid: 0, mtime: T1 });
    await put(path.join(base, 'srv/web/index.html'), 'from base\n', { mode: 0o644, uid: 0, gid: 0, mtime: T1 });
    const data = path.join(base, 'var/data');
    await put(path.join(data, 'hello.txt'), 'hello from the image\n', { mode: 0o640, uid: 1000, gid: 1001, mtime: T2 });
    await put(path.join(data, 'bin/tool'), '#!/bin/sh\n', { mode: 0o4755, uid: 0, gid: 0, mtime: T1 });
    await put(path.join(data, 'sub/deeper/note'), 'deep\n', { mode: 0o600, uid: 42, gid: 43, mtime: T3 });
    // Symlinks out of the tree: copied as symlinks, never followed.
    await symlink('/etc/shadow', path.join(data, 'shadow'));
    await symlink('../../../../../etc', path.join(data, 'sub/up'));
    await lchown(path.join(data, 'shadow'), 7, 8);
    await lutimes(path.join(data, 'shadow'), T3, T3);
    await dirMeta(path.join(data, 'sub/deeper'), { mode: 0o700, uid: 42, gid: 43, mtime: T3 });
    await dirMeta(path.join(data, 'sub'), { mode: 0o750, uid: 42, gid: 43, mtime: T2 });
    await dirMeta(path.join(data, 'bin'), { mode: 0o755, uid: 0, gid: 0, mtime: T1 });
    await dirMeta(data, { mode: 0o2775, uid: 1000, gid: 1001, mtime: T1 });
    // /data leads to /var/data inside the image (a symlink resolved in the layer).
    await symlink('var/data', path.join(base, 'data'));
    // /var/run leads out of the image.
    await symlink('../../../../../../run', path.join(base, 'var/run'));
  });
  after(() => tmp?.remove());

  async function podDir(): Promise<string> {
    const dir = path.join(tmp.path, `pods/pod${++pods}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  const prefill = (p: string): VolumePrefill => ({ lowerDirs: [top, base], path: p });

  it('copies the image\'s directory with modes, owners, times and symlinks, taking the directory\'s own mode and owner', async () => {
    const pod = await podDir();
    const prepared = await prepareVolume(ns, pod, emptyDir('app-data'), { prefill: prefill('/var/data') });
    const vol = volumeDir(pod, 'app-data');
    assert.deepEqual(prepared, { name: 'app-data', source: vol, kind: 'directory', recursive: false });
    assert.deepEqual(await listing(vol), IMAGE_DATA);
    assert.equal(await readFile(path.join(vol, 'hello.txt'), 'utf8'), 'hello from the image\n');
    const image = path.join(base, 'var/data');
    for (const rel of ['', 'hello.txt', 'bin', 'bin/tool', 'sub', 'sub/deeper', 'sub/deeper/note', 'shadow']) {
      assert.deepEqual(meta(await lstat(path.join(vol, rel))), meta(await lstat(path.join(image, rel))), `metadata of "${rel}"`);
    }
    assert.deepEqual(meta(await stat(vol)), [0o2775, 1000, 1001, T1.getTime()], 'the volume takes the image directory\'s mode, owner and time');
    assert.deepEqual(await readdir(path.join(pod, 'volumes')), ['app-data'], 'no staging dir is left');
  });

  it('takes the topmost layer that has the path, resolves symlinks inside the layer, and refuses one leading out of it', async () => {
    const pod = await podDir();
    await prepareVolume(ns, pod, emptyDir('web'), { prefill: prefill('/srv/web') });
    assert.equal(await readFile(path.join(volumeDir(pod, 'web'), 'index.html'), 'utf8'), 'from top\n');
    await prepareVolume(ns, pod, emptyDir('linked'), { prefill: prefill('/data') });
    assert.equal(await readFile(path.join(volumeDir(pod, 'linked'), 'hello.txt'), 'utf8'), 'hello from the image\n');
    await assert.rejects(prepareVolume(ns, pod, emptyDir('run'), { prefill: prefill('/var/run') }), (error: unknown) => hasErrorCode(error, 'ERR_ROOTFS_PATH_ESCAPE'));
    await assert.rejects(stat(volumeDir(pod, 'run')), (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT');
  });

  it('leaves the volume empty, with the planned mode and owner, when the image lacks the path or has a file there', async () => {
    const pod = await podDir();
    await prepareVolume(ns, pod, emptyDir('missing', 0o711, { uid: 7, gid: 8 }), { prefill: prefill('/var/nothing/here') });
    assert.deepEqual(await readdir(volumeDir(pod, 'missing')), []);
    assert.deepEqual(meta(await stat(volumeDir(pod, 'missing'))).slice(0, 3), [0o711, 7, 8]);
    await prepareVolume(ns, pod, emptyDir('file'), { prefill: prefill('/etc/marker') });
    assert.deepEqual(await readdir(volumeDir(pod, 'file')), []);
  });

  it('copies only into a volume it makes: a second prepare keeps what the app wrote; a crashed copy starts over', async () => {
    const pod = await podDir();
    await prepareVolume(ns, pod, emptyDir('app-data'), { prefill: prefill('/var/data') });
    const vol = volumeDir(pod, 'app-data');
    // The app changes its volume.
    await writeFile(path.join(vol, 'hello.txt'), 'changed by the app\n');
    await writeFile(path.join(vol, 'new.txt'), 'written by the app\n');
    await rm(path.join(vol, 'sub'), { recursive: true });
    await chmod(vol, 0o700);
    const before = await listing(vol);
    await prepareVolume(ns, pod, emptyDir('app-data'), { prefill: prefill('/var/data') });
    assert.deepEqual(await listing(vol), before);
    assert.equal(await readFile(path.join(vol, 'hello.txt'), 'utf8'), 'changed by the app\n');
    assert.equal((await stat(vol)).mode & 0o7777, 0o700);
    // A copy that died half-way left its staging dir: the next prepare starts it over.
    const staging = path.join(pod, 'volumes', '.other.prefill');
    await mkdir(path.join(staging, 'bin'), { recursive: true });
    await writeFile(path.join(staging, 'partial'), 'x');
    await prepareVolume(ns, pod, emptyDir('other'), { prefill: prefill('/var/data') });
    assert.deepEqual(await listing(volumeDir(pod, 'other')), IMAGE_DATA);
    assert.deepEqual((await readdir(path.join(pod, 'volumes'))).sort(), ['app-data', 'other']);
  });

  it('keeps emptyDirs without prefill empty, and refuses to prefill a Memory volume', async () => {
    const pod = await podDir();
    await prepareVolume(ns, pod, emptyDir('plain'));
    assert.deepEqual(await readdir(volumeDir(pod, 'plain')), []);
    const memory: VolumeSpec = { name: 'ram' as VolumeName, source: { kind: 'emptyDir', medium: 'Memory', mode: 0o755, uid: 0, gid: 0 } };
    await assert.rejects(prepareVolume(ns, pod, memory, { prefill: prefill('/var/data') }), /only Disk volumes can be prefilled/);
    const host: VolumeSpec = { name: 'h' as VolumeName, source: { kind: 'hostPath', path: base as AbsolutePath, type: 'Directory', recursive: false } };
    assert.equal((await prepareVolume(ns, pod, host, { prefill: prefill('/var/data') })).source, base, 'host volumes are bound as they are');
  });
});
