import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PULL_POLICY_DEFAULTS, resolvePullPolicy } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';

describe('fetch/pull-policy', () => {
  it('defaults like rkt: update for fetch, new for run and prepare', () => {
    assert.deepEqual(PULL_POLICY_DEFAULTS, { fetch: 'update', run: 'new', prepare: 'new' });
    assert.equal(resolvePullPolicy(undefined, 'fetch'), 'update');
    assert.equal(resolvePullPolicy(undefined, 'run'), 'new');
  });

  it('takes a given policy and refuses unknown ones as usage errors', () => {
    assert.equal(resolvePullPolicy('never', 'run'), 'never');
    assert.throws(() => resolvePullPolicy('always', 'fetch'), (error) => hasErrorCode(error, 'ERR_FLAG_VALUE') && error.exitCode === 2 && error.message.includes('"always"'));
  });
});
