/** Public key parsing with real gpg keys: ed25519 and RSA, several keys per file, unusable keys. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertKeyUsable, formatFingerprint, isKeyFingerprint, parsePublicKeys } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { GpgKey } from '../../harness/index.js';
import { createGpgKey, execChecked } from '../../harness/index.js';
import type { SpecialKey } from './keys.js';
import { Owned, createExpiredKey, exportTogether, lower, revokeKey } from './keys.js';

describe('parsePublicKeys', () => {
  let ed: GpgKey;
  let rsa: GpgKey;
  let third: GpgKey;
  let revoked: GpgKey;
  let expired: SpecialKey;
  const owned = new Owned();
  before(async () => {
    [ed, rsa, third, revoked, expired] = await Promise.all([
      owned.own(createGpgKey({ name: 'Ed Signer', email: 'ed@example.invalid' })),
      owned.own(createGpgKey({ name: 'Rsa Signer', email: 'rsa@example.invalid', algo: 'rsa2048' })),
      owned.own(createGpgKey({ name: 'Third Signer', email: 'third@example.invalid' })),
      owned.own(createGpgKey({ name: 'Revoked Signer', email: 'revoked@example.invalid' })),
      owned.own(createExpiredKey()),
    ]);
  });
  after(() => owned.removeAll());

  it('reads an ed25519 (gpg legacy EdDSA) key: fingerprint, key ID, identity, usable', async () => {
    const [key, ...rest] = await parsePublicKeys(ed.armoredPublicKey, 'ed.asc');
    assert.equal(rest.length, 0);
    assert.ok(key);
    assert.equal(key.fingerprint, lower(ed.fingerprint));
    assert.ok(isKeyFingerprint(key.fingerprint));
    assert.deepEqual(key.keyIds, [lower(ed.fingerprint).slice(-16)]);
    assert.deepEqual(key.identities, ['Ed Signer <ed@example.invalid>']);
    assert.equal(key.status, 'usable');
    assert.equal(key.expiresAt, undefined);
    assert.match(key.armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.doesNotThrow(() => assertKeyUsable(key, 'ed.asc'));
  });

  it('reads an RSA key and shows the fingerprint in gpg\'s grouped form', async () => {
    const [key] = await parsePublicKeys(rsa.armoredPublicKey, 'rsa.asc');
    assert.ok(key);
    assert.equal(key.fingerprint, lower(rsa.fingerprint));
    assert.match(key.algorithm, /rsa.* 2048/i);
    assert.equal(formatFingerprint(key.fingerprint), (rsa.fingerprint.match(/.{4}/g) ?? []).join(' '));
  });

  it('reads binary (unarmored) keys too', async () => {
    const binary = await execChecked(['sh', '-c', `gpg --batch --export ${ed.fingerprint} | base64 -w0`], { env: { ...process.env, GNUPGHOME: ed.gnupgHome } });
    const [key] = await parsePublicKeys(Buffer.from(binary, 'base64'), 'ed.gpg');
    assert.equal(key?.fingerprint, lower(ed.fingerprint));
  });

  it('returns every key of a file: concatenated armor blocks and one block holding two keys', async () => {
    const concatenated = `${ed.armoredPublicKey}\n${rsa.armoredPublicKey}`;
    assert.deepEqual((await parsePublicKeys(concatenated, 'two.asc')).map((k) => k.fingerprint), [lower(ed.fingerprint), lower(rsa.fingerprint)]);
    const together = await exportTogether([third, ed]);
    assert.equal(together.match(/BEGIN PGP PUBLIC KEY BLOCK/g)?.length, 1);
    const fingerprints = (await parsePublicKeys(together, 'ring.asc')).map((k) => k.fingerprint).sort();
    assert.deepEqual(fingerprints, [lower(third.fingerprint), lower(ed.fingerprint)].sort());
  });

  it('marks an expired key and refuses it with its expiry date', async () => {
    const [key] = await parsePublicKeys(expired.armoredPublicKey, 'old.asc');
    assert.ok(key);
    assert.equal(key.status, 'expired');
    assert.equal(key.expiresAt?.toISOString(), '2020-01-02T00:00:00.000Z');
    assert.throws(() => assertKeyUsable(key, 'old.asc'), (e) => hasErrorCode(e, 'ERR_TRUST_KEY_EXPIRED')
      && e.message === `key ${lower(expired.fingerprint)} from "old.asc" has expired and cannot be trusted: the key expired on 2020-01-02T00:00:00.000Z`);
  });

  it('marks a revoked key and refuses it', async () => {
    const [key] = await parsePublicKeys(await revokeKey(revoked), 'revoked.asc');
    assert.ok(key);
    assert.equal(key.status, 'revoked');
    assert.throws(() => assertKeyUsable(key, 'revoked.asc'), (e) => hasErrorCode(e, 'ERR_TRUST_KEY_REVOKED')
      && e.message === `key ${lower(revoked.fingerprint)} from "revoked.asc" is revoked and cannot be trusted`);
  });

  it('refuses input that holds no key, naming the source and what it holds', async () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ['', /no OpenPGP key block found/],
      ['hello, I am not a key\n', /no OpenPGP key block found/],
      ['-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n', /holds a PGP signature, not a key block/],
      [ed.armoredPublicKey.replace(/^([A-Za-z0-9+/]{20})[A-Za-z0-9+/]{10}/m, '$1!!!!!!!!!!'), /"bad.asc" is not an OpenPGP public key: /],
      [Buffer.from([0x99, 0x01, 0x02, 0x03]), /"bad.asc" is not an OpenPGP public key: /],
    ];
    for (const [data, message] of cases) {
      await assert.rejects(parsePublicKeys(data, 'bad.asc'), (e) => hasErrorCode(e, 'ERR_TRUST_KEY_INVALID') && message.test(e.message) && e.message.includes('"bad.asc"'));
    }
  });
});
