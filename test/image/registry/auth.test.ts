import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FetchSettings } from '../../../src/image/index.js';
import type { CredentialStore } from '../../../src/image/registry/index.js';
import { loadCredentials, parsePlatform, RegistryClient } from '../../../src/image/registry/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { Registry, TempDir, TokenServer } from '../../harness/index.js';
import { buildOciImage, makeTempDir, pushImage, startRegistry, startTokenServer } from '../../harness/index.js';
import { fileDigest, layoutDigest, testSettings } from './helpers.js';

const AMD64 = parsePlatform('linux/amd64');

/** Writes `<dir>/auth.json` with `auths` and loads it as the client will. */
async function credentialsFile(dir: string, auths: Record<string, unknown>): Promise<CredentialStore> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'auth.json'), JSON.stringify({ auths }));
  return loadCredentials(dir);
}

describe('registry client: authentication against a real docker-registry', () => {
  let tmp: TempDir;
  let settings: FetchSettings;
  let layout: string;
  let tokens: TokenServer;
  let tokenRegistry: Registry;
  let basicRegistry: Registry;

  before(async () => {
    tmp = await makeTempDir('registry-auth');
    settings = await testSettings(tmp.path);
    layout = path.join(tmp.path, 'oci');
    await buildOciImage(layout, { tag: 'img' });
    tokens = await startTokenServer({ users: { alice: 'secret' } });
    tokenRegistry = await startRegistry({ auth: { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certFile: tokens.certFile } });
    basicRegistry = await startRegistry({ auth: { kind: 'htpasswd', users: { bob: 'hunter2' } } });
    await pushImage(layout, 'img', `${tokenRegistry.host}/t/busybox:1`, { creds: 'alice:secret' });
    await pushImage(layout, 'img', `${tokenRegistry.host}/t/other:1`);
    await pushImage(layout, 'img', `${basicRegistry.host}/t/busybox:1`, { creds: 'bob:hunter2' });
  });
  after(async () => {
    await tokenRegistry.stop();
    await basicRegistry.stop();
    await tokens.close();
    await tmp.remove();
  });

  describe('Bearer tokens', () => {
    it('gets one anonymous token per repository scope and reuses it for manifests and blobs', async () => {
      const client = new RegistryClient({ registry: tokenRegistry.host, settings, insecure: true });
      assert.equal((await client.ping()).authScheme, 'bearer');
      const before = tokens.requests.length;
      const image = await client.resolveImage('t/busybox', '1', { platform: AMD64 });
      assert.equal(image.digest, await layoutDigest(layout, 'img'));
      const dest = path.join(tmp.path, 'layer-token');
      const [layer] = image.manifest.layers;
      assert.ok(layer !== undefined);
      await client.fetchBlob('t/busybox', { descriptor: layer, dest });
      assert.equal(await fileDigest(dest), layer.digest);
      assert.deepEqual(tokens.requests.slice(before), [{ scopes: ['repository:t/busybox:pull'], user: '' }]);
    });

    it('asks for a token per repository', async () => {
      const client = new RegistryClient({ registry: tokenRegistry.host, settings, insecure: true });
      const before = tokens.requests.length;
      await client.getManifest('t/busybox', '1');
      await client.getManifest('t/other', '1');
      await client.getManifest('t/busybox', '1');
      assert.deepEqual(tokens.requests.slice(before).map((r) => r.scopes), [['repository:t/busybox:pull'], ['repository:t/other:pull']]);
    });

    it('asks for a new token once expires_in has passed', async () => {
      let clock = Date.now();
      const client = new RegistryClient({ registry: tokenRegistry.host, settings, insecure: true, now: () => clock });
      const before = tokens.requests.length;
      await client.getManifest('t/busybox', '1');
      await client.getManifest('t/busybox', '1');
      assert.equal(tokens.requests.length - before, 1);
      clock += (tokens.expiresInSeconds + 1) * 1000;
      await client.getManifest('t/busybox', '1');
      assert.equal(tokens.requests.length - before, 2);
    });

    it('sends the credentials of auth.json to the token server; wrong ones are ERR_REGISTRY_UNAUTHORIZED', async () => {
      const configDir = path.join(tmp.path, 'config-token');
      const credentials = await credentialsFile(configDir, { [tokenRegistry.host]: { auth: Buffer.from('alice:secret').toString('base64') } });
      const before = tokens.requests.length;
      await new RegistryClient({ registry: tokenRegistry.host, settings, insecure: true, credentials }).getManifest('t/busybox', '1');
      assert.equal(tokens.requests[before]?.user, 'alice');

      const wrong = await credentialsFile(path.join(tmp.path, 'config-wrong'), { [`http://${tokenRegistry.host}`]: { username: 'alice', password: 'guess' } });
      const source = path.join(tmp.path, 'config-wrong', 'auth.json');
      await assert.rejects(new RegistryClient({ registry: tokenRegistry.host, settings, insecure: true, credentials: wrong, credentialSource: source }).getManifest('t/busybox', '1'), (error: unknown) => {
        assert.ok(hasErrorCode(error, 'ERR_REGISTRY_UNAUTHORIZED'), String(error));
        assert.match(error.message, /token server refused the credentials of user "alice"/);
        assert.ok(error.message.includes(source));
        assert.ok(!error.message.includes('guess'), 'the password never appears');
        return true;
      });
    });

    it('reports a failing token server as ERR_REGISTRY_TOKEN', async (t) => {
      t.after(() => {
        tokens.mode = 'ok';
      });
      for (const mode of ['fail', 'garbage'] as const) {
        tokens.mode = mode;
        const client = new RegistryClient({ registry: tokenRegistry.host, settings, insecure: true });
        await assert.rejects(client.getManifest('t/busybox', '1'), (error: unknown) => hasErrorCode(error, 'ERR_REGISTRY_TOKEN'), mode);
      }
    });
  });

  describe('htpasswd Basic auth', () => {
    it('pulls with the right credentials', async () => {
      const client = new RegistryClient({
        registry: basicRegistry.host, settings, insecure: true,
        credentials: await credentialsFile(path.join(tmp.path, 'config-basic'), { [basicRegistry.host]: { auth: Buffer.from('bob:hunter2').toString('base64') } }),
      });
      assert.equal((await client.ping()).authScheme, 'basic');
      const image = await client.resolveImage('t/busybox', '1', { platform: AMD64 });
      assert.equal(image.digest, await layoutDigest(layout, 'img'));
    });

    it('refuses wrong credentials and missing ones with ERR_REGISTRY_UNAUTHORIZED', async () => {
      const wrong = await credentialsFile(path.join(tmp.path, 'config-basic-wrong'), { [basicRegistry.host]: { username: 'bob', password: 'hunter3' } });
      await assert.rejects(new RegistryClient({ registry: basicRegistry.host, settings, insecure: true, credentials: wrong }).getManifest('t/busybox', '1'), (error: unknown) => {
        assert.ok(hasErrorCode(error, 'ERR_REGISTRY_UNAUTHORIZED'), String(error));
        assert.match(error.message, /refused the credentials of user "bob"/);
        return true;
      });
      await assert.rejects(new RegistryClient({ registry: basicRegistry.host, settings, insecure: true }).getManifest('t/busybox', '1'), (error: unknown) => {
        assert.ok(hasErrorCode(error, 'ERR_REGISTRY_UNAUTHORIZED'), String(error));
        assert.match(error.message, /requires authentication/);
        assert.match(error.hint ?? '', /auth\.json/);
        return true;
      });
    });
  });
});
