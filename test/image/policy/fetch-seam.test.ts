import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFetchSignaturePolicy, loadFetchSignaturePolicy, loadSignaturePolicy, NOT_VERIFIED_TEXT } from '../../../src/image/policy/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';
import { writeConfig } from './fixtures.js';

const DIGEST = `sha256:${'e'.repeat(64)}`;
const BYTES = Buffer.from('{}');

describe('the fetch seam of the signature policy', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('policy-seam');
  });
  after(async () => {
    await tmp.remove();
  });

  it('accepts everything, unverified, under --insecure-options=image, without reading a broken policy.json', async () => {
    const dir = await writeConfig(tmp.path, { default: [] });
    const seam = await loadFetchSignaturePolicy(dir, new Set(['image']));
    seam.precheck({ transport: 'docker', reference: 'docker.io/library/busybox:1' });
    assert.deepEqual(await seam.check({ transport: 'docker', reference: 'docker.io/library/busybox:1', manifestDigest: DIGEST, manifestBytes: BYTES }), { verification: NOT_VERIFIED_TEXT });
    await assert.rejects(loadFetchSignaturePolicy(dir, new Set()), (error: unknown) => hasErrorCode(error, 'ERR_POLICY_INVALID'));
  });

  it('refuses everything without a policy.json, before the registry is contacted', async () => {
    const seam = createFetchSignaturePolicy(await loadSignaturePolicy(path.join(tmp.path, 'none')), new Set());
    assert.throws(() => seam.precheck({ transport: 'docker', reference: 'quay.io/x:1' }), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_SIGNATURE_POLICY_MISSING'));
      assert.match(error.message, /^docker:\/\/quay\.io\/x:1: there is no signature policy \(.*\/none\/policy\.json\), and unverified images are refused$/);
      assert.match(error.hint ?? '', /--insecure-options=image/);
      return true;
    });
    await assert.rejects(seam.check({ transport: 'oci', reference: '/srv/x', manifestDigest: DIGEST }), (error: unknown) => hasErrorCode(error, 'ERR_SIGNATURE_POLICY_MISSING'));
  });

  it('prechecks only what reject decides, and checks the rest', async () => {
    const dir = await writeConfig(tmp.path, {
      default: [{ type: 'reject' }],
      transports: { docker: { 'quay.io/open': [{ type: 'insecureAcceptAnything' }], 'quay.io': [{ type: 'signedBy', keyType: 'GPGKeys', keyData: 'AAAA' }] } },
    });
    // keyData "AAAA" is no key: the policy refuses to load, naming it.
    await assert.rejects(loadSignaturePolicy(dir), /policy\.json: transports\.docker\["quay\.io"\]\[0\]\.keyData: .* is not an OpenPGP public key/);
    const good = await writeConfig(tmp.path, { default: [{ type: 'reject' }], transports: { docker: { 'quay.io/open': [{ type: 'insecureAcceptAnything' }], 'quay.io': [{ type: 'sigstoreSigned', keyData: Buffer.from('-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEUJmCHy70G2viub5erFnPX9YdJJt8\nezaiek4vrFgf9PuhZTh4yZfu2NOYmKO6B8iOLQN3NP5jMSyH9Uu5COQ+XA==\n-----END PUBLIC KEY-----\n').toString('base64') }] } } });
    const seam = createFetchSignaturePolicy(await loadSignaturePolicy(good), new Set());
    assert.throws(() => seam.precheck({ transport: 'docker', reference: 'docker.io/library/nginx:1' }), (error: unknown) => hasErrorCode(error, 'ERR_POLICY_REJECTED'));
    seam.precheck({ transport: 'docker', reference: 'quay.io/team/app:1' }); // needs signatures: decided by check
    seam.precheck({ transport: 'docker', reference: 'quay.io/open/app:1' });
    const accepted = await seam.check({ transport: 'docker', reference: 'quay.io/open/app:1', manifestDigest: DIGEST });
    assert.match(accepted.verification, /^accepted without signature \(insecureAcceptAnything\) \(.*policy\.json transports\.docker\["quay\.io\/open"\]\)$/);
    await assert.rejects(seam.check({ transport: 'docker', reference: 'quay.io/team/app:1', manifestDigest: DIGEST, client: {} }), (error: unknown) => hasErrorCode(error, 'ERR_POLICY_CLIENT'));
    // Manifest bytes that do not hash to the digest are a caller bug, never an acceptance.
    await assert.rejects(seam.check({ transport: 'docker', reference: 'quay.io/open/app:1', manifestDigest: DIGEST, manifestBytes: BYTES }), /do not hash to/);
  });
});
