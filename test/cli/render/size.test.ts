import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytesIec } from '../../../src/cli/render/size.js';

describe('formatBytesIec', () => {
  it('prints sizes like rkt\'s image list (go-humanize IBytes, no space)', () => {
    const cases: [number, string][] = [
      [0, '0B'], [9, '9B'], [10, '10B'], [1023, '1023B'], [1024, '1.0KiB'], [1536, '1.5KiB'], [10 * 1024, '10KiB'],
      [10_188, '9.9KiB'], [10_189, '10KiB'], [1024 ** 2, '1.0MiB'], [2_411_724, '2.3MiB'], [46_137_344, '44MiB'],
      [619_708_416, '591MiB'], [1024 ** 3, '1.0GiB'], [5 * 1024 ** 4, '5.0TiB'],
    ];
    for (const [bytes, text] of cases) assert.equal(formatBytesIec(bytes), text, String(bytes));
  });

  it('rejects what is not a byte count', () => {
    assert.throws(() => formatBytesIec(-1), /not a byte count/);
    assert.throws(() => formatBytesIec(Number.NaN), /not a byte count/);
  });
});
