import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EXIT_FAILURE, EXIT_USAGE, RockletError, causeChain, errnoCode, hasErrorCode, isErrorCategory, isRockletError, notFound, usageError,
} from '../../src/util/index.js';

describe('RockletError', () => {
  it('carries code, category, hint, cause and the category exit code', () => {
    const cause = new Error('ENOENT: no such file');
    const error = notFound('ERR_IMAGE_NOT_FOUND', 'no image IDs found', { hint: 'run rocklet fetch first', cause });
    assert.equal(error.code, 'ERR_IMAGE_NOT_FOUND');
    assert.equal(error.category, 'not-found');
    assert.equal(error.exitCode, EXIT_FAILURE);
    assert.equal(error.hint, 'run rocklet fetch first');
    assert.equal(error.cause, cause);
    assert.equal(usageError('ERR_X', 'bad').exitCode, EXIT_USAGE);
  });

  it('is recognised by brand, also for an object from another copy of the module', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('rocklet.error')]: true, code: 'ERR_Y' });
    assert.equal(isRockletError(foreign), true);
    assert.equal(isRockletError(new Error('plain')), false);
    assert.equal(hasErrorCode(new RockletError('conflict', 'ERR_POD_LOCKED', 'locked'), 'ERR_POD_LOCKED'), true);
    assert.equal(isErrorCategory(new RockletError('conflict', 'ERR_POD_LOCKED', 'locked'), 'not-found'), false);
  });

  it('walks the cause chain outermost first', () => {
    const inner = new Error('inner');
    const middle = new Error('middle', { cause: inner });
    const outer = notFound('ERR_Z', 'outer', { cause: middle });
    assert.deepEqual(causeChain(outer).map((e) => (e as Error).message), ['outer', 'middle', 'inner']);
  });

  it('reads errno codes of system errors only', () => {
    assert.equal(errnoCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ENOENT');
    assert.equal(errnoCode(new Error('x')), undefined);
    assert.equal(errnoCode({ code: 7 }), undefined);
  });
});
