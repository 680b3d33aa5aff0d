/** verifyImageSignature with real gpg keys and signatures: every outcome, with its code and message. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SignatureCheck, TrustScope } from '../../../src/image/index.js';
import { ROOT_SCOPE, openKeystore, parsePublicKeys, prefixScope, verifyImageSignature } from '../../../src/image/index.js';
import { hasErrorCode, isErrorCategory } from '../../../src/util/index.js';
import type { GpgKey, TempDir } from '../../harness/index.js';
import { createGpgKey, makeTempDir } from '../../harness/index.js';
import { Owned, lower } from './keys.js';

describe('verifyImageSignature', () => {
  const owned = new Owned();
  let tmp: TempDir;
  let publisher: GpgKey;
  let rsaPublisher: GpgKey;
  let stranger: GpgKey;
  let image = '';
  let signature = '';
  let rsaSignature = '';
  let strangerSignature = '';
  let configs = 0;

  /** A fresh config dir whose keystore trusts `trusts`. */
  async function configWith(...trusts: [TrustScope, GpgKey][]): Promise<string> {
    const config = join(tmp.path, `config-${configs++}`);
    const store = openKeystore(config);
    for (const [scope, key] of trusts) {
      const [info] = await parsePublicKeys(key.armoredPublicKey, key.fingerprint);
      assert.ok(info);
      await store.add(scope, info);
    }
    return config;
  }

  function check(imageName: string, armoredSignature = signature, imagePath = image): SignatureCheck {
    return { imageName, imagePath, armoredSignature, signatureSource: `${imagePath}.asc` };
  }

  before(async () => {
    tmp = await owned.own(makeTempDir('verify'));
    [publisher, rsaPublisher, stranger] = await Promise.all([
      owned.own(createGpgKey({ name: 'Publisher', email: 'publisher@example.invalid' })),
      owned.own(createGpgKey({ name: 'Rsa Publisher', email: 'rsa@example.invalid', algo: 'rsa2048' })),
      owned.own(createGpgKey({ name: 'Stranger', email: 'stranger@example.invalid' })),
    ]);
    image = join(tmp.path, 'app.aci');
    await writeFile(image, randomBytes(300_000));
    signature = await readFile(await publisher.sign(image), 'utf8');
    rsaSignature = await readFile(await rsaPublisher.sign(image, `${image}.rsa.asc`), 'utf8');
    strangerSignature = await readFile(await stranger.sign(image, `${image}.stranger.asc`), 'utf8');
  });
  after(() => owned.removeAll());

  it('accepts an ed25519 signature by a key trusted for the image name, naming the key', async () => {
    const config = await configWith([prefixScope('example.com/app'), publisher]);
    assert.deepEqual(await verifyImageSignature(config, check('example.com/app')), {
      fingerprint: lower(publisher.fingerprint),
      identities: ['Publisher <publisher@example.invalid>'],
      trustedFor: 'example.com/app',
    });
  });

  it('accepts keys of a parent prefix for names below it', async () => {
    const config = await configWith([prefixScope('example.com'), publisher]);
    assert.equal((await verifyImageSignature(config, check('example.com/app/worker'))).trustedFor, 'example.com');
  });

  it('accepts an RSA root key for any name', async () => {
    const config = await configWith([ROOT_SCOPE, rsaPublisher]);
    for (const name of ['example.com/app', 'other.org/tool', 'localhost']) {
      const verified = await verifyImageSignature(config, check(name, rsaSignature));
      assert.equal(verified.trustedFor, 'root');
      assert.equal(verified.fingerprint, lower(rsaPublisher.fingerprint));
    }
  });

  it('reports the most specific trust when a key is trusted twice', async () => {
    const config = await configWith([ROOT_SCOPE, publisher], [prefixScope('example.com/app'), publisher]);
    assert.equal((await verifyImageSignature(config, check('example.com/app'))).trustedFor, 'example.com/app');
  });

  it('ERR_SIGNATURE_BAD when the image was modified after signing', async () => {
    const config = await configWith([prefixScope('example.com/app'), publisher]);
    const modified = join(tmp.path, 'modified.aci');
    const bytes = await readFile(image);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0xff;
    await writeFile(modified, bytes);
    await assert.rejects(verifyImageSignature(config, check('example.com/app', signature, modified)), (e) =>
      hasErrorCode(e, 'ERR_SIGNATURE_BAD') && isErrorCategory(e, 'verification')
      && e.message === `image "${modified}" does not match its signature "${modified}.asc": the image was modified after signing, or the signature is for another file`);
  });

  it('ERR_SIGNATURE_KEY_WRONG_PREFIX names the prefix the key is trusted for', async () => {
    const config = await configWith([prefixScope('example.com/other'), publisher]);
    await assert.rejects(verifyImageSignature(config, check('example.com/app')), (e) =>
      hasErrorCode(e, 'ERR_SIGNATURE_KEY_WRONG_PREFIX') && isErrorCategory(e, 'verification')
      && e.message === `image "example.com/app" is signed by key ${lower(publisher.fingerprint)} (Publisher <publisher@example.invalid>), which is trusted only for prefix "example.com/other", not for "example.com/app"`
      && (e.hint ?? '').startsWith('if that key may sign "example.com/app" too, run: rocklet trust --prefix=example.com/app '));
  });

  it('a key for example.com/app does not sign example.com/application (path boundary)', async () => {
    const config = await configWith([prefixScope('example.com/app'), publisher]);
    await assert.rejects(verifyImageSignature(config, check('example.com/application')), (e) =>
      hasErrorCode(e, 'ERR_SIGNATURE_KEY_WRONG_PREFIX') && e.message.includes('trusted only for prefix "example.com/app", not for "example.com/application"'));
  });

  it('ERR_SIGNATURE_UNKNOWN_KEY when the signer is not trusted at all but other keys are', async () => {
    const config = await configWith([prefixScope('example.com/app'), publisher], [ROOT_SCOPE, rsaPublisher]);
    await assert.rejects(verifyImageSignature(config, check('example.com/app', strangerSignature)), (e) =>
      hasErrorCode(e, 'ERR_SIGNATURE_UNKNOWN_KEY') && isErrorCategory(e, 'verification')
      && e.message === `signature "${image}.asc" of image "example.com/app" was made by unknown key ${lower(stranger.fingerprint)}, which is not trusted for "example.com/app"`
      && e.hint === 'if you expected the signing key to change, try running: rocklet trust --prefix=example.com/app');
  });

  it('ERR_TRUST_NO_KEYS when nothing is trusted for the name, with the trust command as hint', async () => {
    const config = await configWith([prefixScope('other.org'), rsaPublisher]);
    await assert.rejects(verifyImageSignature(config, check('example.com/app')), (e) =>
      hasErrorCode(e, 'ERR_TRUST_NO_KEYS') && isErrorCategory(e, 'verification')
      && e.message === 'no keys are trusted for image "example.com/app" (neither for a prefix of its name nor as root keys)'
      && (e.hint ?? '').includes('rocklet trust --prefix=example.com/app'));
  });

  it('ERR_SIGNATURE_INVALID for a signature that does not parse, or is not a data signature', async () => {
    const config = await configWith([prefixScope('example.com/app'), publisher]);
    const broken = signature.replace(/\n([A-Za-z0-9+/]{10})[A-Za-z0-9+/]{8}/, '\n$1%%%%%%%%');
    for (const text of ['', 'not a signature', broken, publisher.armoredPublicKey]) {
      await assert.rejects(verifyImageSignature(config, check('example.com/app', text)), (e) =>
        hasErrorCode(e, 'ERR_SIGNATURE_INVALID') && isErrorCategory(e, 'verification') && e.message.startsWith(`signature "${image}.asc" `), JSON.stringify(text.slice(0, 40)));
    }
  });

  it('a missing image file is ERR_IMAGE_FILE_NOT_FOUND; a bad image name is refused before any I/O', async () => {
    const config = await configWith([prefixScope('example.com/app'), publisher]);
    const missing = join(tmp.path, 'missing.aci');
    await assert.rejects(verifyImageSignature(config, check('example.com/app', signature, missing)), (e) =>
      hasErrorCode(e, 'ERR_IMAGE_FILE_NOT_FOUND') && e.message === `image file "${missing}" does not exist`);
    await assert.rejects(verifyImageSignature(config, check('docker.io/library/Nginx')), (e) => hasErrorCode(e, 'ERR_TRUST_IMAGE_NAME'));
  });

  it('an aborted signal stops the verification with its reason', async () => {
    const config = await configWith([prefixScope('example.com/app'), publisher]);
    const controller = new AbortController();
    const reason = new Error('test abort');
    controller.abort(reason);
    await assert.rejects(verifyImageSignature(config, check('example.com/app'), { signal: controller.signal }), (e) => e === reason);
  });
});
