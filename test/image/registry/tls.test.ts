import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePlatform, RegistryClient } from '../../../src/image/registry/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { Registry, TempDir } from '../../harness/index.js';
import { buildOciImage, makeTempDir, pushImage, startRegistry } from '../../harness/index.js';
import { fileDigest, layoutDigest, testSettings } from './helpers.js';

describe('registry client: a real docker-registry over TLS with a test CA', () => {
  let registry: Registry;
  let tmp: TempDir;
  let layout: string;

  before(async () => {
    tmp = await makeTempDir('registry-tls');
    registry = await startRegistry({ tls: true });
    layout = path.join(tmp.path, 'oci');
    await buildOciImage(layout, { tag: 'img' });
    await pushImage(layout, 'img', `${registry.host}/t/busybox:1`);
  });
  after(async () => {
    await registry.stop();
    await tmp.remove();
  });

  it('pulls with the certificate checked against the configured CA', async () => {
    assert.ok(registry.url.startsWith('https://'));
    const client = new RegistryClient({ registry: registry.host, settings: await testSettings(tmp.path, '10s', registry.caFile) });
    const image = await client.resolveImage('t/busybox', '1', { platform: parsePlatform('linux/amd64') });
    assert.equal(image.digest, await layoutDigest(layout, 'img'));
    const [layer] = image.manifest.layers;
    assert.ok(layer !== undefined);
    const dest = path.join(tmp.path, 'layer');
    await client.fetchBlob('t/busybox', { descriptor: layer, dest });
    assert.equal(await fileDigest(dest), layer.digest);
  });

  it('refuses an untrusted certificate unless the registry is configured insecure', async () => {
    const settings = await testSettings(tmp.path);
    await assert.rejects(new RegistryClient({ registry: registry.host, settings }).getManifest('t/busybox', '1'), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_REGISTRY_TLS'), String(error));
      return true;
    });
    const insecure = new RegistryClient({ registry: registry.host, settings, insecure: true });
    assert.equal((await insecure.getManifest('t/busybox', '1')).digest, await layoutDigest(layout, 'img'));
  });
});
