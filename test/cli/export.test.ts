/**
 * `rocklet export`: an exited app's upper dir over its image (with a dependency), as a gzip ACI;
 * rkt's refusals. The image is a real one in the store, rendered into a tree as `prepare` does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ImageId } from '../../src/image/index.js';
import { ImageStore } from '../../src/image/index.js';
import type { PodMeta, PodUuid, StateDir } from '../../src/pod/index.js';
import { podPath, writePodPlan } from '../../src/pod/index.js';
import { busyboxApp, podPlan } from '../pod/runtime/fixture.js';
import { buildImage, imageManifest, makeSmallImageDir } from './image-setup.js';
import type { MadeState } from './pod-setup.js';
import { appName, exists, lines, mountsAt, podWorkspace } from './pod-setup.js';

const run = promisify(execFile);

describe('rocklet export', async () => {
  const ws = await podWorkspace('cli-export');
  const src = path.join(ws.dataDir, 'src');
  let appId: ImageId;
  let treeId: string;

  const meta = (...apps: string[]): PodMeta => ({ apps: apps.map((name) => ({ name: appName(name), imageName: 'example.com/web', imageVersion: '1.0.0', imageId: appId })) });

  /** A pod in `state` whose apps run the web image, with a plan naming its tree. */
  async function pod(state: MadeState, apps: string[] = ['web']): Promise<{ uuid: PodUuid; dir: string }> {
    const uuid = await ws.pod(state, { meta: meta(...apps) });
    const stateDir = await ws.dirOf(uuid);
    assert.ok(stateDir);
    const dir = podPath(ws.store, stateDir satisfies StateDir, uuid);
    const image = { id: appId, name: 'example.com/web', version: '1.0.0', trees: [treeId] };
    await writePodPlan(dir, podPlan(apps.map((name) => busyboxApp(treeId, name, ['/bin/true'], { image }))));
    return { uuid, dir };
  }

  /** What the app wrote: a new file, a changed file, a deleted one (an overlay whiteout). */
  async function appWrites(dir: string, app = 'web'): Promise<void> {
    const upper = path.join(dir, 'apps', app, 'upper');
    await mkdir(path.join(upper, 'etc'), { recursive: true });
    await writeFile(path.join(upper, 'etc', 'new-file'), 'written by the app\n');
    await writeFile(path.join(upper, 'etc', 'modify-me'), 'changed\n');
    await run('mknod', [path.join(upper, 'etc', 'remove-me'), 'c', '0', '0']);
  }

  before(async () => {
    await makeSmallImageDir(path.join(src, 'base'), imageManifest('example.com/base'), { 'etc/base': 'base\n' });
    await makeSmallImageDir(path.join(src, 'web'), imageManifest('example.com/web', '1.0.0', { dependencies: [{ imageName: 'example.com/base' }] }), {
      'etc/app': 'app\n', 'etc/modify-me': 'original\n', 'etc/remove-me': 'gone soon\n',
    });
    const store = await ImageStore.open(ws.dataDir);
    await store.importAci((await buildImage(path.join(src, 'base'))).gzipAci);
    appId = (await store.importAci((await buildImage(path.join(src, 'web'))).gzipAci)).record.id;
    treeId = (await store.render(appId)).id;
  });

  it('writes the app\'s final rootfs over its image and dependencies, with the image manifest', async () => {
    const { uuid, dir } = await pod('exited');
    await appWrites(dir);
    const out = path.join(src, 'exported.aci');
    const r = await ws.rocklet(['export', uuid.slice(0, 8), out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const unpacked = path.join(src, 'unpacked');
    await mkdir(unpacked);
    await run('tar', ['-xzf', out, '-C', unpacked]);
    const rootfs = path.join(unpacked, 'rootfs', 'etc');
    assert.deepEqual((await readdir(rootfs)).sort(), ['app', 'base', 'modify-me', 'new-file']);
    assert.equal(await readFile(path.join(rootfs, 'modify-me'), 'utf8'), 'changed\n');
    assert.equal(await readFile(path.join(rootfs, 'new-file'), 'utf8'), 'written by the app\n');
    assert.equal(await readFile(path.join(rootfs, 'base'), 'utf8'), 'base\n');
    const manifest = JSON.parse(await readFile(path.join(unpacked, 'manifest'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.name, 'example.com/web');
    assert.equal(manifest.dependencies, undefined, 'the dependencies are inside the rootfs already');
    assert.deepEqual(await mountsAt(dir), [], 'nothing stays mounted');
    assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('export-')), [], 'no staging dir is left');
    const status = await ws.rocklet(['status', uuid]);
    assert.match(status.stdout, /^state=exited\n/, 'the pod is still exited');
  });

  it('refuses an existing output without --overwrite, replaces it with it; needs the .aci extension', async () => {
    const { uuid, dir } = await pod('exited garbage');
    await appWrites(dir);
    const out = path.join(src, 'again.aci');
    await writeFile(out, 'in the way');
    const exists1 = await ws.rocklet(['export', uuid, out]);
    assert.equal(exists1.code, 254);
    assert.match(exists1.stderr, /^export: target file exists \(try --overwrite\)$/m);
    assert.equal(await readFile(out, 'utf8'), 'in the way');
    const over = await ws.rocklet(['export', '--overwrite', uuid, out]);
    assert.equal(over.code, 0, over.stderr);
    const listing = (await run('tar', ['-tzf', out])).stdout;
    assert.ok(lines(listing).includes('rootfs/etc/new-file'), listing);
    const ext = await ws.rocklet(['export', uuid, path.join(src, 'out.tar')]);
    assert.equal(ext.code, 254);
    assert.match(ext.stderr, /^export: extension must be \.aci$/m);
    assert.equal(await exists(path.join(src, 'out.tar')), false);
  });

  it('exports only exited pods', async () => {
    for (const state of ['running', 'prepared'] as const) {
      const { uuid } = await pod(state);
      const r = await ws.rocklet(['export', uuid, path.join(src, `${state}.aci`)]);
      assert.equal(r.code, 254, r.stderr);
      assert.match(r.stderr, new RegExp(`^export: pod "${uuid}" is ${state}: only exited pods can be exported$`, 'm'));
      assert.equal(await exists(path.join(src, `${state}.aci`)), false);
    }
  });

  it('needs --app for a pod with several apps, and an app that exists', async () => {
    const { uuid, dir } = await pod('exited', ['web', 'side']);
    await appWrites(dir, 'side');
    const out = path.join(src, 'side.aci');
    const r = await ws.rocklet(['export', uuid, out]);
    assert.equal(r.code, 254);
    assert.match(r.stderr, new RegExp(`^export: pod "${uuid}" contains multiple apps: web, side$`, 'm'));
    assert.match(r.stderr, /specify the app using "rocklet export --app=APP/);
    const nope = await ws.rocklet(['export', '--app=nope', uuid, out]);
    assert.equal(nope.code, 254);
    assert.match(nope.stderr, /has no app "nope" \(apps: web, side\)/);
    const side = await ws.rocklet(['export', '--app=side', uuid, out]);
    assert.equal(side.code, 0, side.stderr);
  });

  it('says so clearly when the app\'s upper dir is gone', async () => {
    const { uuid } = await pod('exited');
    const r = await ws.rocklet(['export', uuid, path.join(src, 'gone.aci')]);
    assert.equal(r.code, 254);
    assert.match(r.stderr, new RegExp(`^export: app "web" of pod "${uuid}" has no upper directory \\(.*/apps/web/upper\\): its files are gone$`, 'm'));
    assert.equal(await exists(path.join(src, 'gone.aci')), false);
  });
});
