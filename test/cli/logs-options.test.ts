/** `rocklet logs` flag values: --tail and --since as kubectl takes them, and their errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSince, parseTail } from '../../src/cli/logs/options.js';
import { isErrorCategory } from '../../src/util/index.js';

describe('logs options', () => {
  it('--tail: a line count, -1 for all', () => {
    assert.equal(parseTail(undefined), undefined);
    assert.equal(parseTail('-1'), undefined);
    assert.equal(parseTail('0'), 0);
    assert.equal(parseTail('25'), 25);
    for (const bad of ['x', '1.5', '-2', '', '10lines']) {
      assert.throws(() => parseTail(bad), (error: unknown) => isErrorCategory(error, 'usage') && /--tail/.test((error as Error).message), bad);
    }
  });

  it('--since: a duration back from now, or a time', () => {
    const now = Date.parse('2026-12-05T04:30:00Z');
    assert.equal(parseSince('10m', now), (now - 600_000) * 1000);
    assert.equal(parseSince('1h30m', now), (now - 5_400_000) * 1000);
    assert.equal(parseSince('2026-12-05T04:00:00Z', now), Date.parse('2026-12-05T04:00:00Z') * 1000);
    assert.equal(parseSince('2026-12-05T04:00:00.123456Z', now), Date.parse('2026-12-05T04:00:00Z') * 1000 + 123_456);
    assert.equal(parseSince('2026-12-05T06:00:00+02:00', now), Date.parse('2026-12-05T04:00:00Z') * 1000);
    for (const bad of ['yesterday', '10', '5d', '2026-13-45T99:00:00Z', '-5m', '']) {
      assert.throws(() => parseSince(bad, now), (error: unknown) => isErrorCategory(error, 'usage') && /--since/.test((error as Error).message), bad);
    }
  });
});
