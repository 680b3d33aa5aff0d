/** `rocklet image render` (dependencies, pathWhitelist) and `rocklet image verify` (repair). */
import assert from 'node:assert/strict';
import { appendFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImageId } from '../../src/image/index.js';
import type { BuiltImage, ImageWorkspace } from './image-setup.js';
import { buildImage, createWorkspace, imageManifest, importImage, linesOf, makeBusyboxImageDir, makeSmallImageDir, treeListing } from './image-setup.js';

/** Listing lines of everything but directories, keyed by path. */
function nonDirectories(lines: readonly string[]): Map<string, string> {
  return new Map(lines.filter((line) => !/ dir \d+$/.test(line)).map((line) => [line.split(' ')[0] ?? '', line]));
}

describe('rocklet image render / verify', () => {
  let ws: ImageWorkspace;
  let base: BuiltImage;
  let app: BuiltImage;
  let slim: BuiltImage;
  let baseTree: string[];
  let appTree: string[];
  const out = (name: string): string => path.join(ws.root, 'out', name);
  const ownTree = (id: ImageId): string => path.join(ws.dataDir, 'images/trees', id, 'rootfs');

  async function renderedTree(id: ImageId): Promise<string> {
    const tree = (await (await ws.store()).trees()).find((candidate) => candidate.id.startsWith('deps-') && candidate.layers.at(-1) === id);
    assert.ok(tree !== undefined, `a rendered tree of ${id}`);
    return tree.rootfs;
  }

  before(async () => {
    ws = await createWorkspace('image-render');
    await makeBusyboxImageDir(path.join(ws.root, 'base'), imageManifest('example.com/base', '1.0'));
    const dependency = { imageName: 'example.com/base', labels: [{ name: 'version', value: '1.0' }] };
    await makeSmallImageDir(path.join(ws.root, 'app'), imageManifest('example.com/app', '2.0', { dependencies: [dependency] }), {
      'etc/app.conf': 'listen=8080\n',
      'etc/hosts': '127.0.0.1 app.local\n',
    });
    await makeSmallImageDir(
      path.join(ws.root, 'slim'),
      imageManifest('example.com/slim', '1.0', { dependencies: [dependency], pathWhitelist: ['/bin/busybox', '/bin/sh', '/etc/slim.conf'] }),
      { 'etc/slim.conf': 'slim\n', 'etc/dropped': 'not whitelisted\n' },
    );
    base = await buildImage(path.join(ws.root, 'base'));
    app = await buildImage(path.join(ws.root, 'app'));
    slim = await buildImage(path.join(ws.root, 'slim'));
    for (const image of [base, app, slim]) await importImage(ws, image.gzipAci);
    baseTree = await treeListing(path.join(base.dir, 'rootfs'));
    appTree = await treeListing(path.join(app.dir, 'rootfs'));
    await mkdir(path.join(ws.root, 'out'));
  });
  after(() => ws.remove());

  it('render of an image without dependencies equals its source tree; with the manifest unless --rootfs-only', async () => {
    const full = await ws.rocklet(['image', 'render', 'example.com/base', out('base')]);
    assert.deepEqual([full.code, full.stdout, full.stderr], [0, '', '']);
    assert.deepEqual(await treeListing(out('base/rootfs')), baseTree);
    assert.equal((JSON.parse(await readFile(out('base/manifest'), 'utf8')) as { name: string }).name, 'example.com/base');
    const only = await ws.rocklet(['image', 'render', '--rootfs-only', base.id, out('base-rootfs')]);
    assert.equal(only.code, 0, only.stderr);
    assert.deepEqual(await treeListing(out('base-rootfs')), baseTree);
  });

  it('verify reports an image with dependencies that was never rendered', async () => {
    const r = await ws.rocklet(['image', 'verify', 'example.com/app']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'image "example.com/app" not rendered; no verification needed\n', '']);
  });

  it('render merges the dependencies under the image: its files win, the rest comes from below', async () => {
    const r = await ws.rocklet(['image', 'render', '--rootfs-only', 'example.com/app:2.0', out('app')]);
    assert.deepEqual([r.code, r.stderr], [0, '']);
    const expected = nonDirectories(baseTree);
    for (const [file, line] of nonDirectories(appTree)) expected.set(file, line);
    assert.deepEqual(nonDirectories(await treeListing(out('app'))), expected);
    assert.equal(await readFile(out('app/etc/hosts'), 'utf8'), '127.0.0.1 app.local\n');
    assert.equal(await readFile(out('app/bin/suid-tool'), 'utf8'), '#!/bin/sh\necho hi\n');
  });

  it('render applies pathWhitelist: only the listed paths (and their parents) remain', async () => {
    const r = await ws.rocklet(['image', 'render', '--rootfs-only', 'example.com/slim', out('slim')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...nonDirectories(await treeListing(out('slim'))).keys()].sort(), ['bin/busybox', 'bin/sh', 'etc/slim.conf']);
  });

  it('verify checks rendered trees; a modified file or mode is detected and the tree rebuilt', async () => {
    const ok = await ws.rocklet(['image', 'verify', 'example.com/base', app.id.slice(0, 12)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `successfully verified checksum for image: "example.com/base" ("${base.id}")\n`
      + `successfully verified checksum for image: "${app.id.slice(0, 12)}" ("${app.id}")\n`);
    const passwd = path.join(ownTree(base.id), 'etc/passwd');
    const original = await readFile(passwd, 'utf8');
    await appendFile(passwd, 'intruder:x:0:0::/:/bin/sh\n');
    const tampered = await ws.rocklet(['image', 'verify', base.id]);
    assert.equal(tampered.code, 0, tampered.stderr);
    const [failed, rebuilt] = linesOf(tampered.stdout);
    assert.match(failed ?? '', new RegExp(`^tree cache verification failed for image "${base.id}": the tree hashes to sha256-[0-9a-f]{64}, not the recorded sha256-[0-9a-f]{64}; rebuilding\\.\\.\\.$`));
    assert.equal(rebuilt, `successfully rebuilt tree for image: "${base.id}" ("${base.id}")`);
    assert.equal(await readFile(passwd, 'utf8'), original, 'repaired');
    assert.deepEqual(await treeListing(ownTree(base.id)), baseTree);
    await chmod(path.join(await renderedTree(app.id), 'etc/app.conf'), 0o666);
    const mode = await ws.rocklet(['image', 'verify', 'example.com/app']);
    assert.match(mode.stdout, /^tree cache verification failed for image "example.com\/app": /);
    const again = await ws.rocklet(['image', 'verify', 'example.com/app']);
    assert.equal(again.stdout, `successfully verified checksum for image: "example.com/app" ("${app.id}")\n`);
  });

  it('render rebuilds a modified cached tree first and says so', async () => {
    await writeFile(path.join(ownTree(base.id), 'etc/hosts'), 'poisoned\n');
    const r = await ws.rocklet(['image', 'render', '--rootfs-only', base.id, out('base-repaired')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'image render: warning: tree cache is in a bad state. Rebuilding...\n');
    assert.deepEqual(await treeListing(out('base-repaired')), baseTree);
  });

  it('render refuses an existing DIR or a missing dependency, changing nothing', async () => {
    await mkdir(out('taken'));
    const before = await ws.snapshot();
    const taken = await ws.rocklet(['image', 'render', app.id, out('taken')]);
    assert.deepEqual([taken.code, taken.stderr], [254, `image render: ${out('taken')} already exists\nimage render: hint: remove it or use --overwrite\n`]);
    assert.deepEqual(await ws.snapshot(), before);
    const orphanDir = path.join(ws.root, 'orphan');
    await makeSmallImageDir(orphanDir, imageManifest('example.com/orphan', '1.0', { dependencies: [{ imageName: 'example.com/absent' }] }), { 'etc/x': 'x\n' });
    await importImage(ws, (await buildImage(orphanDir)).plainAci);
    const stored = await ws.snapshot();
    const orphan = await ws.rocklet(['image', 'render', 'example.com/orphan', out('orphan')]);
    assert.equal(orphan.code, 254);
    assert.deepEqual(linesOf(orphan.stderr), [
      'image render: dependency example.com/absent of example.com/orphan is not in the store',
      'image render: hint: fetch the dependency first',
    ]);
    assert.deepEqual(await ws.snapshot(), stored);
    const overwritten = await ws.rocklet(['image', 'render', '--overwrite', '--rootfs-only', base.id, out('taken')]);
    assert.equal(overwritten.code, 0, overwritten.stderr);
    assert.deepEqual(await treeListing(out('taken')), baseTree);
  });

  it('verify goes on after an image it cannot resolve, then exits 254', async () => {
    const r = await ws.rocklet(['image', 'verify', 'example.com/missing', 'example.com/base']);
    assert.equal(r.code, 254);
    assert.equal(r.stdout, `successfully verified checksum for image: "example.com/base" ("${base.id}")\n`);
    assert.deepEqual(linesOf(r.stderr), [
      'image verify: no image named "example.com/missing" in the store',
      'image verify: hint: fetch it first, or list images with "rocklet image list"',
      'image verify: 1 image(s) could not be verified',
    ]);
  });
});
