/** `rocklet image gc`: grace period, trees pods reference, images of running pods. */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ACName, ImageId } from '../../src/image/index.js';
import type { LockedPod } from '../../src/pod/index.js';
import { createPod, markPrepared, markRunning, podStore, writePodManifest } from '../../src/pod/index.js';
import type { BuiltImage, ImageWorkspace } from './image-setup.js';
import { buildImage, createWorkspace, imageManifest, importImage, linesOf, makeSmallImageDir } from './image-setup.js';

describe('rocklet image gc', () => {
  let ws: ImageWorkspace;
  let base: BuiltImage;
  let app: BuiltImage;
  let other: BuiltImage;
  const held: LockedPod[] = [];

  const trees = async (): Promise<string[]> => (await readdir(path.join(ws.dataDir, 'images/trees'))).sort();
  const storedIds = async (): Promise<string[]> => (await (await ws.store()).list()).map((record) => record.id);
  const depsTrees = async (): Promise<string[]> => (await trees()).filter((id) => id.startsWith('deps-'));

  /** A pod in `prepare/` using `image`, its lock held by this process; `then` moves it on. */
  async function pod(image: ImageId, then: 'prepared' | 'running' | 'preparing'): Promise<LockedPod> {
    const created = await createPod(podStore(ws.dataDir));
    await writePodManifest(created.path, { acKind: 'PodManifest' }, { apps: [{ name: 'main' as ACName, imageName: 'example.com/x', imageId: image }] });
    if (then === 'prepared') await markPrepared(created);
    else {
      if (then === 'running') await markRunning(created);
      held.push(created);
    }
    return created;
  }

  before(async () => {
    ws = await createWorkspace('image-gc');
    await makeSmallImageDir(path.join(ws.root, 'base'), imageManifest('example.com/base'), { 'etc/base': 'base\n' });
    const dependencies = [{ imageName: 'example.com/base' }];
    await makeSmallImageDir(path.join(ws.root, 'app'), imageManifest('example.com/app', '1.0.0', { dependencies }), { 'etc/app': 'app\n' });
    await makeSmallImageDir(path.join(ws.root, 'other'), imageManifest('example.com/other'), { 'etc/other': 'other\n' });
    base = await buildImage(path.join(ws.root, 'base'));
    app = await buildImage(path.join(ws.root, 'app'));
    other = await buildImage(path.join(ws.root, 'other'));
    for (const image of [base, app, other]) await importImage(ws, image.plainAci);
  });
  after(async () => {
    for (const lock of held) await lock.release();
    await ws.remove();
  });

  it('keeps images used within the grace period; removes rendered trees no pod references', async () => {
    const rendered = await ws.rocklet(['image', 'render', app.id, path.join(ws.root, 'rendered')]);
    assert.equal(rendered.code, 0, rendered.stderr);
    const [deps] = await depsTrees();
    assert.ok(deps !== undefined);
    const r = await ws.rocklet(['image', 'gc']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', `image gc: removed treestore "${deps}"\n`]);
    assert.deepEqual((await storedIds()).sort(), [base.id, app.id, other.id].sort());
    assert.deepEqual(await trees(), [base.id, app.id, other.id].sort(), 'the images\' own trees stay with them');
  });

  it('--grace-period=0s removes every image but those of running pods; trees pods use stay', async () => {
    const rendered = await ws.rocklet(['image', 'render', app.id, path.join(ws.root, 'rendered-again')]);
    assert.equal(rendered.code, 0, rendered.stderr);
    const [deps] = await depsTrees();
    await pod(app.id, 'prepared');
    await pod(other.id, 'running');
    const r = await ws.rocklet(['image', 'gc', '--grace-period=0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(linesOf(r.stdout).sort(), [base.id, app.id].map((id) => `successfully removed aci for image: "${id}"`).sort());
    assert.equal(r.stderr, 'image gc: 2 image(s) successfully removed\n');
    assert.deepEqual(await storedIds(), [other.id], 'a prepared pod does not keep its image (rkt), a running one does');
    assert.deepEqual(await trees(), [deps, base.id, app.id, other.id].sort(), 'the rendered tree and its layers stay for the prepared pod');
  });

  it('removes no tree while a pod is being prepared, and says so', async () => {
    const running = held.pop();
    await running?.release();
    const preparing = await pod(other.id, 'preparing');
    const before = await trees();
    const r = await ws.rocklet(['image', 'gc', '--grace-period=0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `successfully removed aci for image: "${other.id}"\n`);
    assert.equal(r.stderr, `image gc: warning: keeping every rendered tree: pod ${preparing.uuid} is being prepared\nimage gc: 1 image(s) successfully removed\n`);
    assert.deepEqual(await trees(), before);
  });

  it('once no pod is left, every tree of a removed image goes', async () => {
    for (const lock of held.splice(0)) await lock.release();
    await rm(path.join(ws.dataDir, 'pods'), { recursive: true });
    const before = await trees();
    const r = await ws.rocklet(['image', 'gc']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(linesOf(r.stderr).sort(), before.map((id) => `image gc: removed treestore "${id}"`).sort());
    assert.deepEqual(await trees(), []);
  });

  it('an invalid --grace-period is a usage error and changes nothing', async () => {
    await importImage(ws, base.plainAci);
    const before = await ws.snapshot();
    const r = await ws.rocklet(['image', 'gc', '--grace-period=10']);
    assert.equal(r.code, 2);
    assert.deepEqual(linesOf(r.stderr), [
      'image gc: --grace-period: invalid duration "10": missing unit after "10"',
      'image gc: hint: use a number with a unit, e.g. 30s, 10m, 1h30m, 24h (units: ns, us, ms, s, m, h)',
    ]);
    assert.deepEqual(await ws.snapshot(), before);
  });
});
