import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadCoverage } from '../../src/daemon/read-coverage.js';

describe('ReadCoverage', () => {
  it('covers a pod whose kept read began after its last signal', () => {
    const coverage = new ReadCoverage();
    coverage.signalled('web');
    coverage.signalled('web');
    const kept = coverage.beginRead('web');
    assert.equal(coverage.covers('web'), false, 'a read not kept yet covers nothing');
    kept();
    assert.equal(coverage.covers('web'), true);
  });

  it('does not cover a signal that arrived while the read was under way', () => {
    const coverage = new ReadCoverage();
    const kept = coverage.beginRead('web');
    coverage.signalled('web');
    kept();
    assert.equal(coverage.covers('web'), false);
    // The next read covers it.
    coverage.beginRead('web')();
    assert.equal(coverage.covers('web'), true);
    coverage.signalled('web');
    assert.equal(coverage.covers('web'), false, 'a later signal needs a later read');
  });

  it('keeps pods apart and never covers a pod that was not read', () => {
    const coverage = new ReadCoverage();
    assert.equal(coverage.covers('db'), false);
    coverage.beginRead('web')();
    coverage.signalled('db');
    assert.equal(coverage.covers('web'), true, "another pod's signal changes nothing");
    assert.equal(coverage.covers('db'), false);
  });

  it('forgets a pod: its next reconcile reads afresh', () => {
    const coverage = new ReadCoverage();
    coverage.beginRead('web')();
    coverage.forget('web');
    assert.equal(coverage.covers('web'), false);
  });
});
