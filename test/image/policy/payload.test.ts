import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COSIGN_SIGNATURE_TYPE, lookasideUrl, parseSignaturePayload, SIMPLE_SIGNING_TYPE } from '../../../src/image/policy/index.js';
import { parseDigest } from '../../../src/image/registry/index.js';
import { hasErrorCode } from '../../../src/util/index.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const good = (type: string = SIMPLE_SIGNING_TYPE): Record<string, unknown> => ({
  critical: { type, image: { 'docker-manifest-digest': DIGEST }, identity: { 'docker-reference': 'quay.io/team/app:1' } },
  optional: { creator: 'skopeo', timestamp: 1700000000 },
});

describe('signature payloads', () => {
  it('reads what simple signing and cosign sign', () => {
    const simple = parseSignaturePayload(Buffer.from(JSON.stringify(good())), SIMPLE_SIGNING_TYPE, 's');
    assert.equal(simple.manifestDigest, DIGEST);
    assert.equal(simple.dockerReference, 'quay.io/team/app:1');
    assert.equal(simple.reference.canonical, 'quay.io/team/app:1');
    assert.equal(simple.creator, 'skopeo');
    assert.equal(simple.timestamp, 1700000000);
    const cosign = parseSignaturePayload(Buffer.from(JSON.stringify({ ...good(COSIGN_SIGNATURE_TYPE), optional: null })), COSIGN_SIGNATURE_TYPE, 's');
    assert.equal(cosign.timestamp, undefined);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{', /not JSON/],
    ['a list', [], /not a JSON object/],
    ['an extra top-level key', { ...good(), extra: 1 }, /extra is not allowed/],
    ['no critical', { optional: {} }, /critical must be an object/],
    ['another type', good(COSIGN_SIGNATURE_TYPE), /critical.type is "cosign container image signature", expected "atomic container signature"/],
    ['an extra critical key', { ...good(), critical: { ...(good().critical as object), extra: 1 } }, /critical.extra is not allowed/],
    ['no identity', { critical: { type: SIMPLE_SIGNING_TYPE, image: { 'docker-manifest-digest': DIGEST } } }, /critical.identity is missing/],
    ['a bad digest', { critical: { type: SIMPLE_SIGNING_TYPE, image: { 'docker-manifest-digest': 'md5:x' }, identity: { 'docker-reference': 'quay.io/a:1' } } }, /not a sha256 or sha512 digest/],
    ['a bad reference', { critical: { type: SIMPLE_SIGNING_TYPE, image: { 'docker-manifest-digest': DIGEST }, identity: { 'docker-reference': 'Not A Ref' } } }, /invalid image reference/],
    ['optional not an object', { ...good(), optional: 'x' }, /optional must be an object/],
  ];
  for (const [name, payload, message] of bad) {
    it(`refuses a payload with ${name}`, () => {
      const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
      assert.throws(() => parseSignaturePayload(bytes, SIMPLE_SIGNING_TYPE, 'file:///sigs/x/signature-1'), (error: unknown) => {
        assert.ok(hasErrorCode(error, 'ERR_POLICY_SIGNATURE_INVALID'));
        assert.match(error.message, /^signature file:\/\/\/sigs\/x\/signature-1: its payload is not a valid container signature: /);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('builds lookaside URLs as containers/image does', () => {
    const digest = parseDigest(DIGEST, 'test');
    assert.equal(lookasideUrl(new URL('file:///var/lib/sigs/'), 'team/app', digest, 2).href, `file:///var/lib/sigs/team/app@sha256=${'d'.repeat(64)}/signature-2`);
    assert.equal(lookasideUrl(new URL('https://sigs.example.com/base'), 'library/nginx', digest, 1).href, `https://sigs.example.com/base/library/nginx@sha256=${'d'.repeat(64)}/signature-1`);
  });
});
