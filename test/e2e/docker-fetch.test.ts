/**
 * End to end: `rocklet fetch docker://…` and the `image` commands against a real
 * docker-registry on loopback (images pushed with `skopeo copy` from busybox OCI layouts built
 * with umoci), plus the bad inputs: each exits 254 with its own message and leaves the store
 * exactly as it was. Stalls and schema 1 come from a scripted HTTPS server (a real registry
 * does neither).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { runRocklet } from '../cli/run-cli.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpsServer, Registry, TempDir } from '../harness/index.js';
import { makeTempDir, startHttpsServer, startRegistry } from '../harness/index.js';
import { addOciIndex, addRawLayer, buildOciImage, buildWhiteoutImage, pushImage, writeLayerTar } from '../harness/oci-image.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function listing(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Everything the image store holds, by directory. */
async function storeState(data: string): Promise<Record<string, string[]>> {
  const images = path.join(data, 'images');
  const out: Record<string, string[]> = {};
  for (const dir of ['index', 'blobs/sha256', 'blobs/sha512', 'trees', 'tmp']) out[dir] = await listing(path.join(images, dir));
  return out;
}

describe('e2e: docker:// images from a loopback registry', () => {
  let tmp: TempDir;
  let registry: Registry;
  let config: string;
  let layout: string;
  let stores = 0;
  const repo = (name: string): string => `docker://${registry.host}/e2e/${name}`;

  /** A fresh data dir. */
  const newStore = (): string => path.join(tmp.path, `data-${++stores}`);
  const rocklet = (data: string, args: readonly string[], input?: string) => runRocklet(['--config-dir', config, '--dir', data, ...args], input === undefined ? {} : { input });
  const fetch = (data: string, image: string, ...flags: string[]) => rocklet(data, ['--insecure-options=image', 'fetch', ...flags, image]);

  /** Asserts a refused fetch: exit 254, `code` in the message, and nothing visible in the store. */
  async function refused(data: string, image: string, pattern: RegExp, ...flags: string[]): Promise<void> {
    const before = await storeState(data);
    const result = await fetch(data, image, ...flags);
    assert.equal(result.code, 254, result.stderr);
    assert.match(result.stderr, pattern);
    const after = await storeState(data);
    assert.deepEqual(after, { ...before, tmp: [] }, 'the store is as it was: no record, blob, tree or work dir');
  }

  before(async () => {
    tmp = await makeTempDir('e2e-docker');
    registry = await startRegistry();
    config = path.join(tmp.path, 'config');
    await mkdir(config);
    await writeFile(path.join(config, 'config.yaml'), `registries:\n  "${registry.host}":\n    insecure: true\n`);
    layout = path.join(tmp.path, 'layout');
    await buildOciImage(layout, { tag: 'base' });
    await pushImage(layout, 'base', `${registry.host}/e2e/busybox:base`);
    // Two layers over the base: the second whites out a file, a directory and an opaque dir's content.
    await buildWhiteoutImage(layout, 'base', 'wh', tmp.path);
    await pushImage(layout, 'wh', `${registry.host}/e2e/busybox:wh`);
    // Bad layers no honest tool writes.
    const bad: [string, Parameters<typeof writeLayerTar>[1]][] = [
      ['escape', [{ name: '../../escaped', body: 'out' }]],
      ['absescape', [{ name: '/../../escaped', body: 'out' }]],
      ['hardlink', [{ name: 'link', type: 'link', linkname: '../../../etc/passwd' }]],
      ['symlink', [{ name: 'evil', type: 'symlink', linkname: '../../..' }, { name: 'evil/x', body: 'y' }]],
    ];
    for (const [tag, entries] of bad) {
      const file = path.join(tmp.path, `${tag}.tar`);
      await writeLayerTar(file, entries);
      await addRawLayer(layout, 'base', file, tag);
      await pushImage(layout, tag, `${registry.host}/e2e/busybox:${tag}`);
    }
    // What real images contain: absolute names, and one path twice in a layer (the later wins),
    // including a symlink replaced by a file (written as a file, never through the link).
    const quirks = path.join(tmp.path, 'quirks.tar');
    await writeLayerTar(quirks, [
      { name: '/abs/file', body: 'absolute\n' },
      { name: 'dup', body: 'first\n' },
      { name: 'dup', body: 'second\n' },
      { name: 'wasdir/inner', body: 'gone\n' },
      { name: 'wasdir', body: 'now a file\n' },
      { name: 'hostlink', type: 'symlink', linkname: path.join(tmp.path, 'host-target') },
      { name: 'hostlink', body: 'plain\n' },
      { name: '/abs/hard', type: 'link', linkname: '/abs/file' },
    ]);
    await addRawLayer(layout, 'base', quirks, 'quirks');
    await pushImage(layout, 'quirks', `${registry.host}/e2e/busybox:quirks`);
    const cut = path.join(tmp.path, 'cut.tar');
    await writeLayerTar(cut, [{ name: 'big', body: 'z'.repeat(100_000) }]);
    await truncate(cut, 20_000);
    await addRawLayer(layout, 'base', cut, 'truncated');
    await pushImage(layout, 'truncated', `${registry.host}/e2e/busybox:truncated`);
    // A multi-arch index: amd64 (the base image) and an arm64 one.
    await buildOciImage(layout, { tag: 'arm', architecture: 'arm64', marker: 'arm' });
    await addOciIndex(layout, 'multi', [
      { tag: 'base', platform: { os: 'linux', architecture: 'amd64' } },
      { tag: 'arm', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    await pushImage(layout, 'multi', `${registry.host}/e2e/multi:1`, { all: true });
  });
  after(async () => {
    await registry?.stop();
    await tmp?.remove();
  });

  it('refuses a Docker image without a signature policy unless --insecure-options=image, before any network', async () => {
    const data = newStore();
    const result = await rocklet(data, ['fetch', repo('busybox:base')]);
    assert.equal(result.code, 254);
    assert.match(result.stderr, /there is no signature policy \(.*policy\.json\), and unverified images are refused/);
    assert.match(result.stderr, /hint: .*--insecure-options=image/);
    assert.deepEqual((await storeState(data)).index, []);
  });

  it('fetches an image: ID from the manifest digest, listed with its reference, digest and how it was verified', async () => {
    const data = newStore();
    const result = await fetch(data, repo('busybox:base'));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^sha256-[0-9a-f]{32}\n$/);
    const [entry] = JSON.parse((await rocklet(data, ['image', 'list', '--format=json'])).stdout) as { id: string; name: string; digest: string; references: string[]; verification: string }[];
    assert.ok(entry !== undefined);
    assert.equal(entry.name, `${registry.host}/e2e/busybox:base`);
    assert.equal(entry.id, entry.digest.replace('sha256:', 'sha256-'));
    assert.deepEqual(entry.references, [`${registry.host}/e2e/busybox:base`]);
    assert.equal(entry.verification, 'not verified (--insecure-options=image)');
    const table = await rocklet(data, ['image', 'list', '--fields=name,digest,verified', '--no-legend']);
    assert.equal(table.stdout.trim().split(/\s{2,}/).join('|'), `${registry.host}/e2e/busybox:base|${entry.digest}|not verified (--insecure-options=image)`);
    const again = await fetch(data, repo('busybox:base'), '--pull-policy=new');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, result.stdout, 'the stored image answers');
  });

  it('shares layers: a second image downloads and unpacks only what the first lacks; rm + gc keep shared layers', async () => {
    const data = newStore();
    assert.equal((await fetch(data, repo('busybox:base'))).code, 0);
    const base = await storeState(data);
    const second = await fetch(data, repo('busybox:wh'));
    assert.equal(second.code, 0, second.stderr);
    assert.equal((second.stderr.match(/downloading /g) ?? []).length, 2, `only the two new layers are downloaded:\n${second.stderr}`);
    const both = await storeState(data);
    assert.equal(both.trees?.filter((name) => name.startsWith('layer-')).length, 3, 'three distinct layers, one tree each');
    assert.ok(base.trees?.every((tree) => both.trees?.includes(tree)));
    const imageIds = async (): Promise<string[]> => (JSON.parse((await rocklet(data, ['image', 'list', '--format=json'])).stdout) as { id: string }[]).map((entry) => entry.id);
    const [baseId = ''] = await imageIds();
    assert.equal((await rocklet(data, ['image', 'rm', baseId])).code, 0);
    // A long grace period: gc keeps both images and removes only what no image uses.
    const gc = await rocklet(data, ['image', 'gc', '--grace-period=24h']);
    assert.equal(gc.code, 0, gc.stderr);
    const afterGc = await storeState(data);
    assert.equal(afterGc.index?.length, 1);
    assert.equal(afterGc.trees?.length, 3, 'the base layer is still used by the other image');
    const [whId = ''] = await imageIds();
    assert.equal((await rocklet(data, ['image', 'rm', whId])).code, 0);
    assert.equal((await rocklet(data, ['image', 'gc', '--grace-period=24h'])).code, 0);
    const empty = await storeState(data);
    assert.deepEqual([empty.index, empty['blobs/sha256'], empty.trees], [[], [], []], 'gc removed the layers no image uses');
  });

  it('unpacks whiteouts as overlayfs reads them: char 0/0 devices and the opaque xattr', async () => {
    const data = newStore();
    assert.equal((await fetch(data, repo('busybox:wh'))).code, 0);
    const trees = (await storeState(data)).trees ?? [];
    const roots = trees.map((tree) => path.join(data, 'images/trees', tree, 'rootfs'));
    const upper = await Promise.all(roots.map(async (root) => (await listing(root)).includes('gone') && (await listing(path.join(root, 'opq'))).includes('new') ? root : undefined));
    const top = upper.find((root) => root !== undefined);
    assert.ok(top !== undefined, 'one layer tree holds the whiteouts');
    const gone = await stat(path.join(top, 'gone'));
    assert.ok(gone.isCharacterDevice() && gone.rdev === 0, 'a whiteout is a 0/0 character device');
    assert.ok((await stat(path.join(top, 'etc/marker'))).isCharacterDevice());
    const { execFileSync } = await import('node:child_process');
    const xattr = execFileSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())', path.join(top, 'opq')]);
    assert.equal(xattr.toString().trim(), 'y');
    assert.deepEqual(await listing(path.join(top, 'opq')), ['new'], 'the marker itself is not extracted');
  });

  it('unpacks absolute names under the layer root, and a later entry for one path wins (as docker and containerd)', async () => {
    const data = newStore();
    await writeFile(path.join(tmp.path, 'host-target'), 'host\n');
    const result = await fetch(data, repo('busybox:quirks'));
    assert.equal(result.code, 0, result.stderr);
    const trees = (await storeState(data)).trees ?? [];
    const roots = trees.map((tree) => path.join(data, 'images/trees', tree, 'rootfs'));
    const top = (await Promise.all(roots.map(async (root) => ((await listing(root)).includes('dup') ? root : undefined)))).find((root) => root !== undefined);
    assert.ok(top !== undefined, 'one layer tree holds the quirky layer');
    assert.equal(await readFile(path.join(top, 'abs/file'), 'utf8'), 'absolute\n');
    assert.equal((await stat(path.join(top, 'abs/hard'))).ino, (await stat(path.join(top, 'abs/file'))).ino, 'an absolute hardlink target is read under the root too');
    assert.equal(await readFile(path.join(top, 'dup'), 'utf8'), 'second\n');
    assert.equal(await readFile(path.join(top, 'wasdir'), 'utf8'), 'now a file\n');
    assert.ok((await lstat(path.join(top, 'hostlink'))).isFile(), 'the symlink was replaced, not written through');
    assert.equal(await readFile(path.join(top, 'hostlink'), 'utf8'), 'plain\n');
    assert.equal(await readFile(path.join(tmp.path, 'host-target'), 'utf8'), 'host\n', 'the file the symlink named is untouched');
  });

  it('verifies an image\'s blobs, and names a corrupt one', async () => {
    const data = newStore();
    assert.equal((await fetch(data, repo('busybox:base'))).code, 0);
    const [id] = (await storeState(data)).index?.map((name) => name.replace(/\.json$/, '')) ?? [];
    assert.ok(id !== undefined);
    const ok = await rocklet(data, ['image', 'verify', id]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /successfully verified checksum for image/);
    const record = JSON.parse(await readFile(path.join(data, 'images/index', `${id}.json`), 'utf8')) as { oci: { layers: { digest: string }[] } };
    const layer = record.oci.layers[0]?.digest ?? '';
    await writeFile(path.join(data, 'images/blobs/sha256', layer.slice('sha256:'.length)), 'tampered');
    const bad = await rocklet(data, ['image', 'verify', id]);
    assert.equal(bad.code, 254);
    assert.match(bad.stderr, new RegExp(`the layer 1 of ${id} \\(${layer}\\) hashes to sha256:`));
  });

  it('verify hashes the layer trees: a file modified in an unpacked layer is found and the layer unpacked again', async () => {
    const data = newStore();
    assert.equal((await fetch(data, repo('busybox:base'))).code, 0);
    const [id] = (await storeState(data)).index?.map((name) => name.replace(/\.json$/, '')) ?? [];
    assert.ok(id !== undefined);
    const first = await rocklet(data, ['image', 'verify', id]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /successfully verified checksum for image/);
    const [tree] = (await storeState(data)).trees?.filter((name) => name.startsWith('layer-')) ?? [];
    assert.ok(tree !== undefined);
    const marker = path.join(data, 'images/trees', tree, 'rootfs/etc/marker');
    await writeFile(marker, 'tampered\n');
    const second = await rocklet(data, ['image', 'verify', id]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /tree cache verification failed for image .*\(layer sha256:[0-9a-f]{64}\)/);
    assert.match(second.stdout, /successfully rebuilt tree/);
    assert.equal(await readFile(marker, 'utf8'), 'base\n', 'the layer was unpacked again from its blob');
    const third = await rocklet(data, ['image', 'verify', id]);
    assert.match(third.stdout, /successfully verified checksum for image/);
  });

  it('renders and extracts an OCI image as its container sees it: layers merged, whiteouts applied, no whiteout devices', async () => {
    const data = newStore();
    assert.equal((await fetch(data, repo('busybox:wh'))).code, 0);
    const [id] = (await storeState(data)).index?.map((name) => name.replace(/\.json$/, '')) ?? [];
    assert.ok(id !== undefined);
    for (const command of ['render', 'extract']) {
      const out = path.join(tmp.path, `${command}-${stores}`);
      const result = await rocklet(data, ['image', command, id, out]);
      assert.equal(result.code, 0, result.stderr);
      const rootfs = path.join(out, 'rootfs');
      assert.ok((await stat(path.join(rootfs, 'bin/busybox'))).isFile(), `${command}: the base layer is there`);
      assert.deepEqual(await listing(path.join(rootfs, 'opq')), ['new'], `${command}: an opaque directory shows only its own layer`);
      for (const gone of ['gone', 'etc/marker']) await assert.rejects(lstat(path.join(rootfs, gone)), { code: 'ENOENT' }, `${command}: ${gone} is whited out`);
      assert.match(await readFile(path.join(out, 'manifest'), 'utf8'), /"acKind": "ImageManifest"/);
    }
    const again = await rocklet(data, ['image', 'render', id, path.join(tmp.path, `render-${stores}`)]);
    assert.equal(again.code, 254, 'an existing directory is refused');
  });

  it('exports an image as an OCI layout that skopeo reads', async () => {
    const data = newStore();
    assert.equal((await fetch(data, repo('busybox:wh'))).code, 0);
    const [id] = (await storeState(data)).index?.map((name) => name.replace(/\.json$/, '')) ?? [];
    const out = path.join(tmp.path, `export-${stores}`);
    const exported = await rocklet(data, ['image', 'export', id ?? '', out]);
    assert.equal(exported.code, 0, exported.stderr);
    const { execFileSync } = await import('node:child_process');
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${out}:wh`]).toString()) as { Digest: string; Layers: string[] };
    assert.equal(inspected.Digest, id?.replace('sha256-', 'sha256:'));
    assert.equal(inspected.Layers.length, 3);
    assert.equal((await rocklet(data, ['image', 'export', id ?? '', out])).code, 254, 'an existing output is refused without --overwrite');
  });

  it('picks the host\'s entry of a multi-arch index; --platform picks another; none matching is refused', async () => {
    const data = newStore();
    const host = await fetch(data, repo('multi:1'));
    assert.equal(host.code, 0, host.stderr);
    const arm = await fetch(data, repo('multi:1'), '--platform=linux/arm64');
    assert.equal(arm.code, 0, arm.stderr);
    assert.notEqual(arm.stdout, host.stdout);
    const list = JSON.parse((await rocklet(data, ['image', 'list', '--format=json'])).stdout) as unknown[];
    assert.equal(list.length, 2);
    await refused(data, repo('multi:1'), /has no image for linux\/s390x; it has: linux\/amd64, linux\/arm64\/v8/, '--platform=linux/s390x');
    await refused(data, repo('busybox:base'), /is built for linux\/amd64, not for linux\/arm64/, '--platform=linux/arm64');
  });

  it('imports local images as skopeo writes them: oci:DIR:TAG, oci-archive:FILE, docker-archive:FILE', async () => {
    const data = newStore();
    const { execFileSync } = await import('node:child_process');
    const ociArchive = path.join(tmp.path, 'wh-oci.tar');
    const dockerArchive = path.join(tmp.path, 'wh-docker.tar');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${layout}:wh`, `oci-archive:${ociArchive}:wh`]);
    execFileSync('skopeo', ['copy', '--quiet', `oci:${layout}:wh`, `docker-archive:${dockerArchive}:example.com/team/wh:1`]);
    const fromLayout = await fetch(data, `oci:${layout}:wh`);
    assert.equal(fromLayout.code, 0, fromLayout.stderr);
    const fromArchive = await fetch(data, `oci-archive:${ociArchive}:wh`);
    assert.equal(fromArchive.code, 0, fromArchive.stderr);
    assert.equal(fromArchive.stdout, fromLayout.stdout, 'the same manifest: the same image');
    const fromDocker = await fetch(data, `docker-archive:${dockerArchive}`);
    assert.equal(fromDocker.code, 0, fromDocker.stderr);
    const list = JSON.parse((await rocklet(data, ['image', 'list', '--format=json'])).stdout) as { name: string; references: string[] }[];
    assert.equal(list.length, 2, 'the layout and its oci-archive are one image; docker-archive recompresses nothing but has its own manifest');
    assert.deepEqual(list.find((entry) => entry.references.length === 2)?.references, [`oci:${layout}:wh`, `oci-archive:${ociArchive}:wh`]);
    const state = await storeState(data);
    assert.equal(state.trees?.length, 3, 'docker-archive\'s uncompressed layers have the same DiffIDs: the layer trees are shared');
    await refused(data, `oci:${layout}:nope`, /has no image tagged "nope" \(tags: .*wh/);
    await refused(data, 'oci-archive:/nonexistent.tar', /nonexistent/);
  });

  it('refuses unknown repositories and tags, naming them (404)', async () => {
    const data = newStore();
    await refused(data, repo('busybox:nope'), /manifest unknown|not found/i);
    await refused(data, repo('nothing:1'), /repository name not known|not found/i);
  });

  it('refuses layers that escape the tree (path, hardlink, symlink) and a truncated layer; nothing is left behind', async () => {
    const data = newStore();
    await refused(data, repo('busybox:escape'), /refusing tar entry "\.\.\/\.\.\/escaped": "\.\." path components are not allowed/);
    await refused(data, repo('busybox:absescape'), /refusing tar entry "\/\.\.\/\.\.\/escaped": "\.\." path components are not allowed/);
    await refused(data, repo('busybox:hardlink'), /refusing tar entry "rootfs\/\.\.\/\.\.\/\.\.\/etc\/passwd"|hardlink/);
    await refused(data, repo('busybox:symlink'), /points outside rootfs|symlink/);
    await refused(data, repo('busybox:truncated'), /truncated|ends early/);
    await assert.rejects(stat(path.join(tmp.path, 'escaped')), { code: 'ENOENT' });
    // The base layer the refused images share was not committed either: a later pull starts clean and works.
    assert.equal((await fetch(data, repo('busybox:base'))).code, 0);
  });

  it('refuses a manifest and a layer that do not match their digests (a corrupted registry)', async () => {
    const data = newStore();
    const copy = `${registry.host}/e2e/corrupt:1`;
    await pushImage(layout, 'base', copy);
    // The registry serves what its storage holds: change the bytes behind a digest.
    const blobs = path.join(registry.dataDir, 'docker/registry/v2/blobs/sha256');
    const digestOfTag = (await readFile(path.join(registry.dataDir, 'docker/registry/v2/repositories/e2e/corrupt/_manifests/tags/1/current/link'), 'utf8')).trim();
    const hex = digestOfTag.slice('sha256:'.length);
    const manifestFile = path.join(blobs, hex.slice(0, 2), hex, 'data');
    const original = await readFile(manifestFile);
    const manifest = JSON.parse(original.toString()) as { layers: { digest: string }[] };
    try {
      await writeFile(manifestFile, Buffer.concat([original, Buffer.from(' ')]));
      await refused(data, repo('corrupt:1'), /manifest|digest/i);
    } finally {
      await writeFile(manifestFile, original);
    }
    const layerHex = manifest.layers[0]?.digest.slice('sha256:'.length) ?? '';
    const layerFile = path.join(blobs, layerHex.slice(0, 2), layerHex, 'data');
    const layerBytes = await readFile(layerFile);
    try {
      const changed = Buffer.from(layerBytes);
      changed[changed.length - 10] = (changed[changed.length - 10] ?? 0) ^ 0xff;
      await writeFile(layerFile, changed);
      await refused(data, repo('corrupt:1'), new RegExp(`blob ${manifest.layers[0]?.digest ?? ''} .*: the content hashes to sha256:[0-9a-f]+, not to`));
    } finally {
      await writeFile(layerFile, layerBytes);
    }
    assert.equal((await fetch(data, repo('corrupt:1'))).code, 0, 'the repaired registry serves the image');
  });

  it('fails a disk that fills during a pull with nothing half-visible; the next pull works', async () => {
    const data = newStore();
    const script = [
      'set -u',
      `mkdir -p ${data}`,
      `mount -t tmpfs -o size=3m tmpfs ${data}`,
      `head -c 2200000 /dev/zero > ${data}/filler`,
      `${process.execPath} ${(await import('../cli/run-cli.js')).CLI_PATH} --config-dir ${config} --dir ${data} --insecure-options=image fetch ${repo('busybox:base')} >/dev/null 2>${data}/err; echo "first=$?"`,
      `cat ${data}/err`,
      `echo "index=$(ls ${data}/images/index | wc -l) tmp=$(ls ${data}/images/tmp | wc -l)"`,
      `rm ${data}/filler ${data}/err`,
      `${process.execPath} ${(await import('../cli/run-cli.js')).CLI_PATH} --config-dir ${config} --dir ${data} --insecure-options=image fetch ${repo('busybox:base')} >/dev/null; echo "second=$?"`,
      `echo "index=$(ls ${data}/images/index | wc -l)"`,
    ].join('\n');
    // A private mount namespace: the tmpfs goes away with the shell, whatever happens.
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script]).toString();
    assert.match(out, /first=254/);
    assert.match(out, /no space left on the device of the image store .*; nothing was stored/);
    assert.match(out, /index=0 tmp=0/);
    assert.match(out, /second=0\nindex=1/);
  });

  describe('a misbehaving server (scripted HTTPS)', () => {
    let server: HttpsServer;
    const layerTar = Buffer.alloc(10_240);
    Buffer.from('hello').copy(layerTar, 0);
    let data: string;

    before(async () => {
      server = await startHttpsServer();
      data = newStore();
      const tarFile = path.join(tmp.path, 'one.tar');
      await writeLayerTar(tarFile, [{ name: 'hello', body: 'x'.repeat(300_000) }]);
      const tar = await readFile(tarFile);
      const layer = gzipSync(tar, { level: 0 });
      const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
      }));
      const manifestRoute = (body: Buffer, digest: string) => ({
        kind: 'handler' as const,
        handle: (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': body.length, 'docker-content-digest': digest,
        }).end(body),
      });
      server.route('/v2/', { kind: 'handler', handle: (_req, res) => void res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}') });
      server.route('/v2/s/app/manifests/stall', manifestRoute(manifest, sha256(manifest)));
      server.route(`/v2/s/app/blobs/${sha256(configBytes)}`, { kind: 'bytes', body: configBytes });
      server.route(`/v2/s/app/blobs/${sha256(layer)}`, { kind: 'stall', body: layer, afterBytes: 100_000 });
      server.route('/v2/s/app/manifests/old', {
        kind: 'handler',
        handle: (_req, res) => void res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }).end('{"schemaVersion":1,"name":"s/app","tag":"old","fsLayers":[]}'),
      });
    });
    after(() => server?.close());

    it('fails a download that stalls mid-layer after the stall timeout (no wall-clock limit)', async () => {
      const started = Date.now();
      await refused(data, `docker://${server.host}:${server.port}/s/app:stall`, /stalled/, `--ca-file=${server.caFile}`, '--stall-timeout=1s');
      assert.ok(Date.now() - started < 20_000);
    });

    it('refuses a schema 1 manifest with a clear message', async () => {
      await refused(data, `docker://${server.host}:${server.port}/s/app:old`, /schema 1/i, `--ca-file=${server.caFile}`);
    });
  });
});
