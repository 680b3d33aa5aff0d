import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isImageId, looksLikeImageId, parseImageId, shortImageId } from '../../../../src/image/index.js';
import { hasErrorCode } from '../../../../src/util/index.js';

const FULL = `sha512-${'0123456789abcdef'.repeat(8)}`;

describe('image IDs', () => {
  it('accepts only sha512- with 128 lowercase hex digits as a full ID', () => {
    assert.equal(parseImageId(FULL), FULL);
    assert.equal(isImageId(FULL.toUpperCase()), false);
    const cases: [string, string][] = [
      ['sha1-abcdef', 'invalid image ID "sha1-abcdef": must start with "sha512-" (the only hash appc allows)'],
      ['sha512-', 'invalid image ID "sha512-": the digest must have 128 hex digits, not 0'],
      ['sha512-abcdefghi', 'invalid image ID "sha512-abcdefghi": the digest must be lowercase hex'],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseImageId(text), (error: unknown) => hasErrorCode(error, 'ERR_INVALID_IMAGE_ID') && error.message === message);
    }
  });

  it('shows 32 hex digits in the short form and recognises prefixes', () => {
    assert.equal(shortImageId(parseImageId(FULL)), `sha512-${'0123456789abcdef'.repeat(2)}`);
    assert.equal(looksLikeImageId('sha512-01'), true);
    assert.equal(looksLikeImageId('example.com/app'), false);
  });
});
