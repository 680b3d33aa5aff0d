import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTimestamp, humanizeTime, unixNanos } from '../../../src/cli/render/time.js';

const NOW = new Date('2026-05-01T12:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function ago(ms: number): Date {
  return new Date(NOW.getTime() - ms);
}

describe('humanizeTime', () => {
  it('follows go-humanize\'s magnitudes', () => {
    const cases: [number, string][] = [
      [0, 'now'], [999, 'now'], [SECOND, '1 second ago'], [2 * SECOND, '2 seconds ago'], [59 * SECOND, '59 seconds ago'],
      [MINUTE, '1 minute ago'], [2 * MINUTE + 59 * SECOND, '2 minutes ago'], [HOUR, '1 hour ago'], [5 * HOUR, '5 hours ago'],
      [DAY, '1 day ago'], [6 * DAY, '6 days ago'], [7 * DAY, '1 week ago'], [20 * DAY, '2 weeks ago'], [30 * DAY, '1 month ago'],
      [90 * DAY, '3 months ago'], [360 * DAY, '1 year ago'], [540 * DAY, '2 years ago'], [1000 * DAY, '2 years ago'],
      [3 * 360 * DAY, '3 years ago'], [40 * 360 * DAY, 'a long while ago'],
    ];
    for (const [delta, text] of cases) assert.equal(humanizeTime(ago(delta), NOW), text, String(delta));
  });

  it('says "from now" for times in the future', () => {
    assert.equal(humanizeTime(ago(-3 * MINUTE), NOW), '3 minutes from now');
  });
});

describe('formatTimestamp', () => {
  it('uses Go\'s layout 2006-01-02 15:04:05.999 -0700 MST in local time', () => {
    const date = new Date(2026, 0, 2, 3, 4, 5, 120);
    const offset = -date.getTimezoneOffset();
    const sign = offset < 0 ? '-' : '+';
    const hhmm = `${String(Math.trunc(Math.abs(offset) / 60)).padStart(2, '0')}${String(Math.abs(offset) % 60).padStart(2, '0')}`;
    assert.match(formatTimestamp(date), new RegExp(`^2026-01-02 03:04:05\\.12 \\${sign}${hhmm}( \\S+)?$`));
    assert.match(formatTimestamp(new Date(2026, 0, 2, 3, 4, 5, 0)), /^2026-01-02 03:04:05 [+-]\d{4}/, 'no fraction when whole');
    assert.match(formatTimestamp(new Date(2026, 0, 2, 3, 4, 5, 7)), /^2026-01-02 03:04:05\.007 /);
  });
});

describe('unixNanos', () => {
  it('is milliseconds × 10⁶ and prints exactly in JSON', () => {
    assert.equal(JSON.stringify(unixNanos(new Date(1_795_333_110_099))), '1795333110099000000');
    assert.equal(unixNanos(new Date(0)), 0);
  });
});
