import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatMillicores, parseQuantity } from '../../src/podfile/index.js';

function value(text: string, unit: 'bytes' | 'millicores'): number {
  const result = parseQuantity(text, unit);
  assert.ok('value' in result, `${text}: ${'problem' in result ? result.problem : ''}`);
  return result.value;
}

function problem(text: string, unit: 'bytes' | 'millicores'): string {
  const result = parseQuantity(text, unit);
  assert.ok('problem' in result, `${text} should be refused`);
  return result.problem;
}

describe('parseQuantity', () => {
  it('reads binary and decimal suffixes and exponents exactly', () => {
    assert.equal(value('128Mi', 'bytes'), 134217728);
    assert.equal(value('1Gi', 'bytes'), 1073741824);
    assert.equal(value('1.5Gi', 'bytes'), 1610612736);
    assert.equal(value('256M', 'bytes'), 256_000_000);
    assert.equal(value('1k', 'bytes'), 1000);
    assert.equal(value('1e3', 'bytes'), 1000);
    assert.equal(value('1E3', 'bytes'), 1000);
    assert.equal(value('2', 'bytes'), 2);
    assert.equal(value('1Pi', 'bytes'), 2 ** 50);
  });

  it('counts cpu in millicores', () => {
    assert.equal(value('500m', 'millicores'), 500);
    assert.equal(value('0.25', 'millicores'), 250);
    assert.equal(value('2', 'millicores'), 2000);
    assert.equal(value('1.', 'millicores'), 1000);
    assert.equal(value('.001', 'millicores'), 1);
    assert.equal(value('100.035k', 'millicores'), 100_035_000);
    assert.equal(value('+1', 'millicores'), 1000);
    assert.equal(value('1000000u', 'millicores'), 1000);
  });

  it('refuses what the grammar does not allow, with hints (formats.md §1.8 #66)', () => {
    assert.match(problem(' 1', 'bytes'), /not a valid quantity/);
    assert.match(problem('1 ', 'bytes'), /not a valid quantity/);
    assert.match(problem('0.1mi', 'bytes'), /did you mean 0\.1Mi\?/);
    assert.match(problem('1i', 'bytes'), /not a valid quantity/);
    assert.match(problem('.5i', 'bytes'), /not a valid quantity/);
    assert.match(problem('1.1.M', 'bytes'), /not a valid quantity/);
    assert.match(problem('1K', 'bytes'), /did you mean 1k or 1Ki\?/);
    assert.match(problem('1GB', 'bytes'), /did you mean 1G or 1Gi\?/);
    assert.match(problem('.', 'bytes'), /not a valid quantity/);
    assert.match(problem('', 'bytes'), /binary Ki Mi Gi/);
  });

  it('refuses negative values, fractions of the unit and absurd sizes', () => {
    assert.match(problem('-1Gi', 'bytes'), /negative/);
    assert.match(problem('100m', 'bytes'), /not a whole number of bytes \(m means milli: did you mean 100Mi\?\)/);
    assert.match(problem('0.5', 'bytes'), /not a whole number of bytes/);
    assert.match(problem('100u', 'millicores'), /finer than 1m/);
    assert.match(problem('1e100', 'bytes'), /out of range/);
    assert.match(problem('99999999999999999999', 'bytes'), /too large/);
    assert.match(problem('1'.repeat(50), 'bytes'), /too many digits/);
  });

  it('prints quantities the way Kubernetes does', () => {
    assert.equal(formatBytes(134217728), '128Mi');
    assert.equal(formatBytes(1000), '1000');
    assert.equal(formatBytes(3 * 2 ** 30), '3Gi');
    assert.equal(formatMillicores(1500), '1500m');
    assert.equal(formatMillicores(2000), '2');
  });
});
