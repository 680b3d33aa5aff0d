import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FetchSettings } from '../../../src/image/index.js';
import type { RegistryEvent } from '../../../src/image/registry/index.js';
import { mediaTypes, parsePlatform, RegistryClient } from '../../../src/image/registry/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { Registry, TempDir } from '../../harness/index.js';
import { addOciIndex, buildOciImage, makeTempDir, pushImage, startRegistry } from '../../harness/index.js';
import { fileDigest, filesIn, layoutDigest, testSettings } from './helpers.js';

describe('registry client: anonymous pulls from a real docker-registry', () => {
  let registry: Registry;
  let tmp: TempDir;
  let settings: FetchSettings;
  let layout: string;
  let indexDigest: string;
  const client = (extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient =>
    new RegistryClient({ registry: registry.host, settings, insecure: true, ...extra });

  before(async () => {
    tmp = await makeTempDir('registry-pull');
    registry = await startRegistry();
    settings = await testSettings(tmp.path);
    layout = path.join(tmp.path, 'oci');
    await buildOciImage(layout, { tag: 'amd', architecture: 'amd64', extraLayers: 1 });
    await buildOciImage(layout, { tag: 'arm', architecture: 'arm64' });
    indexDigest = await addOciIndex(layout, 'multi', [
      { tag: 'amd', platform: { os: 'linux', architecture: 'amd64' } },
      { tag: 'arm', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    await pushImage(layout, 'amd', `${registry.host}/t/busybox:oci`);
    await pushImage(layout, 'amd', `${registry.host}/t/busybox:v2s2`, { format: 'v2s2' });
    await pushImage(layout, 'multi', `${registry.host}/t/multi:latest`, { all: true });
  });
  after(async () => {
    await registry.stop();
    await tmp.remove();
  });

  it('pings the registry', async () => {
    assert.deepEqual(await client().ping(), { apiVersion: 'registry/2.0', authScheme: undefined });
  });

  it('resolves an OCI image by tag and by digest, and downloads its blobs verified', async () => {
    const events: RegistryEvent[] = [];
    const pull = client({ onEvent: (event) => events.push(event) });
    const image = await pull.resolveImage('t/busybox', 'oci', { platform: parsePlatform('linux/amd64') });
    assert.equal(image.digest, await layoutDigest(layout, 'amd'));
    assert.deepEqual(image.indexDigests, []);
    assert.equal(image.manifest.format, 'oci');
    assert.equal(image.manifest.mediaType, mediaTypes.OCI_MANIFEST);
    assert.equal(image.manifest.layers.length, 2);
    assert.equal(image.config.architecture, 'amd64');
    assert.deepEqual(image.config.config.cmd, ['/bin/sh']);
    assert.deepEqual(image.config.config.env, ['PATH=/bin:/usr/bin']);
    assert.equal(image.config.config.workingDir, '/root');
    assert.deepEqual(image.config.config.exposedPorts, ['8080/tcp']);
    assert.equal(image.config.diffIds.length, 2);

    const byDigest = await pull.getManifest('t/busybox', image.digest);
    assert.equal(byDigest.digest, image.digest);

    const dir = path.join(tmp.path, 'blobs-oci');
    await mkdir(dir);
    const targets = image.manifest.layers.map((descriptor) => ({ descriptor, dest: path.join(dir, descriptor.digest.replace(':', '-')) }));
    await pull.fetchBlobs('t/busybox', targets);
    for (const { descriptor, dest } of targets) assert.equal(await fileDigest(dest), descriptor.digest);
    assert.deepEqual(await filesIn(dir), targets.map((t) => path.basename(t.dest)).sort(), 'no .partial file is left');
    const done = events.filter((e) => e.kind === 'blob-done').map((e) => e.kind === 'blob-done' && e.digest);
    assert.deepEqual(done.sort(), image.manifest.layers.map((l) => l.digest).sort());
    assert.ok(events.some((e) => e.kind === 'manifest' && e.digest === image.digest));
  });

  it('downloads at most `concurrency` blobs at once', async () => {
    const image = await client().resolveImage('t/busybox', 'oci', { platform: parsePlatform('linux/amd64') });
    let running = 0;
    let most = 0;
    const onEvent = (event: RegistryEvent): void => {
      if (event.kind === 'blob-start') most = Math.max(most, ++running);
      if (event.kind === 'blob-done') running--;
    };
    const dir = path.join(tmp.path, 'blobs-serial');
    await mkdir(dir);
    const targets = [...image.manifest.layers, image.manifest.config].map((descriptor) => ({ descriptor, dest: path.join(dir, descriptor.digest.slice(7)) }));
    await client().fetchBlobs('t/busybox', targets, { concurrency: 1, onEvent });
    assert.equal(most, 1);
    assert.equal((await filesIn(dir)).length, 3);
  });

  it('resolves a Docker schema 2 image', async () => {
    const image = await client().resolveImage('t/busybox', 'v2s2', { platform: parsePlatform('linux/amd64') });
    assert.equal(image.manifest.format, 'docker');
    assert.equal(image.manifest.mediaType, mediaTypes.DOCKER_MANIFEST);
    assert.equal(image.manifest.config.mediaType, mediaTypes.DOCKER_CONFIG);
    assert.deepEqual(image.config.config.cmd, ['/bin/sh']);
  });

  it('selects the platform from a multi-arch index, and names the platforms when none matches', async () => {
    const arm = await client().resolveImage('t/multi', 'latest', { platform: parsePlatform('linux/arm64') });
    assert.deepEqual(arm.indexDigests, [indexDigest]);
    assert.equal(arm.digest, await layoutDigest(layout, 'arm'));
    assert.equal(arm.config.architecture, 'arm64');
    const amd = await client().resolveImage('t/multi', 'latest', { platform: parsePlatform('linux/amd64') });
    assert.equal(amd.digest, await layoutDigest(layout, 'amd'));
    await assert.rejects(client().resolveImage('t/multi', 'latest', { platform: parsePlatform('linux/s390x') }), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_REGISTRY_NO_MATCHING_PLATFORM'), String(error));
      assert.match(error.message, /no image for linux\/s390x; it has: linux\/amd64, linux\/arm64\/v8/);
      return true;
    });
  });

  it('reports an unknown repository and an unknown tag with their own codes', async () => {
    await assert.rejects(client().getManifest('t/nothing', 'latest'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_NAME_UNKNOWN'));
    await assert.rejects(client().getManifest('t/busybox', 'nope'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_MANIFEST_UNKNOWN'));
  });

  it('refuses plain HTTP unless the registry is configured insecure', async () => {
    await assert.rejects(client({ insecure: false }).getManifest('t/busybox', 'oci'), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_REGISTRY_CONNECT'), String(error));
      assert.match(error.hint ?? '', /insecure/);
      return true;
    });
    assert.throws(() => client({ insecure: false, mirrors: [`http://${registry.host}`] }), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_INSECURE'));
  });

  it('tries mirrors in order, then the registry itself', async () => {
    const events: RegistryEvent[] = [];
    const other = await startRegistry();
    try {
      const pull = client({ mirrors: [other.host, `http://${registry.host}`], onEvent: (event) => events.push(event) });
      const image = await pull.resolveImage('t/busybox', 'oci', { platform: parsePlatform('linux/amd64') });
      assert.equal(image.digest, await layoutDigest(layout, 'amd'));
      const failed = events.filter((e) => e.kind === 'mirror-failed');
      assert.ok(failed.length > 0 && failed.every((e) => e.kind === 'mirror-failed' && e.mirror === other.host));
      assert.equal(failed[0]?.kind === 'mirror-failed' && failed[0].code, 'ERR_REGISTRY_NAME_UNKNOWN');
    } finally {
      await other.stop();
    }
  });
});
