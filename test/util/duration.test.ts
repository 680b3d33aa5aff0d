import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, hasErrorCode, parseDuration } from '../../src/util/index.js';

describe('parseDuration', () => {
  const valid: [string, number][] = [
    ['30m', 1_800_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
    ['0', 0],
    ['500ms', 500],
    ['1.5s', 1500],
    ['2h45m30.5s', 9_930_500],
    ['1500us', 1.5],
    ['+10s', 10_000],
  ];
  for (const [text, ms] of valid) {
    it(`parses ${text}`, () => assert.equal(parseDuration(text), ms));
  }

  const invalid: [string, RegExp][] = [
    ['', /invalid duration "": empty/],
    ['10', /invalid duration "10": missing unit after "10"/],
    ['1d', /invalid duration "1d": unknown unit "d"/],
    ['-5m', /invalid duration "-5m": must not be negative/],
    ['5 m', /invalid duration "5 m": missing unit after "5"/],
    ['1h 5m', /invalid duration "1h 5m": unexpected " 5m"/],
    ['h', /invalid duration "h": unexpected "h"/],
    ['1h30', /invalid duration "1h30": missing unit after "30"/],
  ];
  for (const [text, message] of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseDuration(text), (error: unknown) => {
        assert.ok(hasErrorCode(error, 'ERR_INVALID_DURATION'));
        assert.match(error.message, message);
        assert.equal(error.category, 'invalid-argument');
        return true;
      });
    });
  }
});

describe('formatDuration', () => {
  it('prints like Go', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(500), '500ms');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(1_800_000), '30m0s');
    assert.equal(formatDuration(86_400_000), '24h0m0s');
    assert.equal(formatDuration(5_430_000), '1h30m30s');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 61_000, 3_600_001, 90_061_500]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});
