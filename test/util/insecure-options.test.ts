import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasErrorCode, parseInsecureOptions } from '../../src/util/index.js';

describe('parseInsecureOptions', () => {
  it('is empty for none and for the empty string', () => {
    assert.equal(parseInsecureOptions('none').size, 0);
    assert.equal(parseInsecureOptions('').size, 0);
  });

  it('expands groups the way rkt did', () => {
    assert.deepEqual([...parseInsecureOptions('all-fetch')].sort(), ['http', 'image', 'pubkey', 'tls']);
    assert.deepEqual([...parseInsecureOptions('all-run')].sort(), ['capabilities', 'paths', 'seccomp']);
    assert.equal(parseInsecureOptions('all').size, 7);
    assert.deepEqual([...parseInsecureOptions('image, http')].sort(), ['http', 'image']);
  });

  it('rejects an unknown word by name, listing the valid ones', () => {
    assert.throws(
      () => parseInsecureOptions('image,ondisk2'),
      (e: unknown) => hasErrorCode(e, 'ERR_INSECURE_OPTION') && e.message.includes('"ondisk2"') && (e.hint ?? '').includes('all-fetch'),
    );
  });
});
