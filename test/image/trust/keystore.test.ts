/** The keystore on disk: layout, atomic adds, prefix matching on / boundaries, strict loading. */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { PublicKeyInfo } from '../../../src/image/index.js';
import { ROOT_SCOPE, openKeystore, parsePublicKeys, prefixScope } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { GpgKey, TempDir } from '../../harness/index.js';
import { createGpgKey, makeTempDir } from '../../harness/index.js';
import { Owned, createExpiredKey, lower } from './keys.js';

async function infoOf(key: GpgKey | { armoredPublicKey: string }): Promise<PublicKeyInfo> {
  const [info] = await parsePublicKeys(key.armoredPublicKey, 'test');
  assert.ok(info);
  return info;
}

describe('Keystore', () => {
  const owned = new Owned();
  let tmp: TempDir;
  let config = '';
  let alice: GpgKey;
  let bob: GpgKey;
  let carol: GpgKey;
  let counter = 0;
  before(async () => {
    tmp = await owned.own(makeTempDir('keystore'));
    [alice, bob, carol] = await Promise.all([
      owned.own(createGpgKey({ name: 'Alice', email: 'alice@example.invalid' })),
      owned.own(createGpgKey({ name: 'Bob', email: 'bob@example.invalid' })),
      owned.own(createGpgKey({ name: 'Carol', email: 'carol@example.invalid', algo: 'rsa2048' })),
    ]);
  });
  after(() => owned.removeAll());
  beforeEach(() => {
    config = join(tmp.path, `config-${counter++}`);
  });

  it('stores keys as trustedkeys/root.d/<fp> and trustedkeys/prefix.d/<prefix>/<fp>, 0644 in 0755 dirs', async () => {
    const store = openKeystore(config);
    const root = await store.add(ROOT_SCOPE, await infoOf(alice));
    const prefixed = await store.add(prefixScope('example.com/app'), await infoOf(bob));
    assert.equal(root.path, join(config, 'trustedkeys', 'root.d', lower(alice.fingerprint)));
    assert.equal(prefixed.path, join(config, 'trustedkeys', 'prefix.d', 'example.com', 'app', lower(bob.fingerprint)));
    assert.equal((await stat(prefixed.path)).mode & 0o777, 0o644);
    assert.equal((await stat(join(config, 'trustedkeys', 'prefix.d', 'example.com'))).mode & 0o777, 0o755);
    const [stored] = await parsePublicKeys(await readFile(prefixed.path, 'utf8'), prefixed.path);
    assert.equal(stored?.fingerprint, lower(bob.fingerprint));
    // Atomic writes leave no temp files behind.
    assert.deepEqual(await readdir(join(config, 'trustedkeys', 'prefix.d', 'example.com', 'app')), [lower(bob.fingerprint)]);
    assert.deepEqual((await store.list()).map((k) => [k.scope.kind, k.key.fingerprint]), [['root', lower(alice.fingerprint)], ['prefix', lower(bob.fingerprint)]]);
  });

  it('selects keys by prefix on / boundaries: example.com/app is not a prefix of example.com/application', async () => {
    const store = openKeystore(config);
    await store.add(prefixScope('example.com/app'), await infoOf(alice));
    await store.add(prefixScope('example.com'), await infoOf(bob));
    await store.add(ROOT_SCOPE, await infoOf(carol));
    const names = async (image: string): Promise<string[]> => (await store.keysFor(image)).map((k) => `${k.scope.kind === 'root' ? 'root' : k.scope.prefix}:${k.key.identities[0] ?? ''}`);
    assert.deepEqual(await names('example.com/app'), ['example.com/app:Alice <alice@example.invalid>', 'example.com:Bob <bob@example.invalid>', 'root:Carol <carol@example.invalid>']);
    assert.deepEqual(await names('example.com/app/sub'), ['example.com/app:Alice <alice@example.invalid>', 'example.com:Bob <bob@example.invalid>', 'root:Carol <carol@example.invalid>']);
    assert.deepEqual(await names('example.com/application'), ['example.com:Bob <bob@example.invalid>', 'root:Carol <carol@example.invalid>']);
    assert.deepEqual(await names('other.org/app'), ['root:Carol <carol@example.invalid>']);
    assert.equal(await store.hasKeysFor('example.com/application'), true);
    await assert.rejects(store.keysFor('Example.com/App'), (e) => hasErrorCode(e, 'ERR_TRUST_IMAGE_NAME') && e.message.includes('"Example.com/App"'));
  });

  it('hasKeysFor counts only non-empty key files of matching scopes', async () => {
    const store = openKeystore(config);
    assert.equal(await store.hasKeysFor('example.com/app'), false);
    await store.add(prefixScope('example.com/application'), await infoOf(alice));
    assert.equal(await store.hasKeysFor('example.com/app'), false);
    const dir = join(config, 'trustedkeys', 'prefix.d', 'example.com', 'app');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, lower(bob.fingerprint)), '');
    assert.equal(await store.hasKeysFor('example.com/app'), false);
    assert.deepEqual(await store.keysFor('example.com/app'), [], 'an empty file trusts nothing');
    await store.add(prefixScope('example.com'), await infoOf(bob));
    assert.equal(await store.hasKeysFor('example.com/app'), true);
  });

  it('re-adding a key is idempotent, and remove untrusts it and prunes empty prefix dirs', async () => {
    const store = openKeystore(config);
    const scope = prefixScope('example.com/a/b');
    await store.add(scope, await infoOf(alice));
    await store.add(scope, await infoOf(alice));
    assert.equal((await store.keysFor('example.com/a/b')).length, 1);
    assert.equal(await store.remove(scope, lower(alice.fingerprint) as PublicKeyInfo['fingerprint']), true);
    assert.equal(await store.remove(scope, lower(alice.fingerprint) as PublicKeyInfo['fingerprint']), false);
    assert.deepEqual(await readdir(join(config, 'trustedkeys', 'prefix.d')), []);
  });

  it('refuses to store an expired key and leaves nothing behind', async () => {
    const expired = await owned.own(createExpiredKey());
    const store = openKeystore(config);
    await assert.rejects(store.add(prefixScope('example.com/app'), await infoOf(expired), 'old.asc'), (e) => hasErrorCode(e, 'ERR_TRUST_KEY_EXPIRED') && e.message.includes('"old.asc"'));
    assert.deepEqual(await store.list(), []);
  });

  it('fails loudly on a file whose key does not match its name, and on stray files', async () => {
    const store = openKeystore(config);
    const dir = join(config, 'trustedkeys', 'root.d');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, lower(alice.fingerprint)), bob.armoredPublicKey);
    await assert.rejects(store.keysFor('example.com/app'), (e) => hasErrorCode(e, 'ERR_TRUST_KEYSTORE')
      && e.message === `trusted key file "${join(dir, lower(alice.fingerprint))}" holds ${lower(bob.fingerprint)}, not key ${lower(alice.fingerprint)}`);
    const other = join(config, 'other');
    await mkdir(join(other, 'trustedkeys', 'root.d'), { recursive: true });
    await writeFile(join(other, 'trustedkeys', 'root.d', 'README'), 'notes\n');
    await writeFile(join(other, 'trustedkeys', 'root.d', '.README.swp'), 'editor leftover, ignored\n');
    await assert.rejects(openKeystore(other).list(), (e) => hasErrorCode(e, 'ERR_TRUST_KEYSTORE') && e.message.includes('unexpected file') && e.message.includes('README'));
  });

  it('an empty keystore (no trustedkeys dir at all) has no keys', async () => {
    const store = openKeystore(config);
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(await store.keysFor('example.com/app'), []);
  });
});
