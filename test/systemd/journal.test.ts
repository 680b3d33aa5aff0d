/** The journal reader's pure parts: journalctl's argv for a query, and one JSON line → an entry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { journalctlArgs, parseJournalLine } from '../../src/systemd/index.js';
import { hasErrorCode } from '../../src/util/index.js';

describe('systemd/journal', () => {
  it('builds journalctl arguments from a query', () => {
    assert.deepEqual(journalctlArgs({ matches: { ROCKLET_APP: 'web', _TRANSPORT: 'stdout' }, lines: 5, reverse: true }), [
      '-q', '--no-pager', '-a', '-o', 'json', '--output-fields=MESSAGE,_SYSTEMD_INVOCATION_ID', '-r', '--lines=5', 'ROCKLET_APP=web', '_TRANSPORT=stdout',
    ]);
    const follow = journalctlArgs({ matches: { A: 'b' }, follow: true, afterCursor: 's=1;i=2', sinceUsec: 1_500_000 });
    assert.deepEqual(follow.slice(6), ['--after-cursor=s=1;i=2', '--since=@1.500000', '--no-tail', '--follow', 'A=b']);
    assert.throws(() => journalctlArgs({ matches: {} }), (error: unknown) => hasErrorCode(error, 'ERR_JOURNAL_QUERY'));
    assert.throws(() => journalctlArgs({ matches: { 'bad name': 'x' } }), (error: unknown) => hasErrorCode(error, 'ERR_JOURNAL_QUERY'));
  });

  it('parses entries, binary messages included', () => {
    const entry = parseJournalLine('{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1796445004535804","MESSAGE":"hello","_SYSTEMD_INVOCATION_ID":"abc","X":"1"}', ['X']);
    assert.deepEqual({ ...entry, fields: [...entry.fields] }, { cursor: 'c1', realtimeUsec: 1796445004535804, message: 'hello', invocationId: 'abc', fields: [['X', '1']] });
    const binary = parseJournalLine('{"__CURSOR":"c2","__REALTIME_TIMESTAMP":"1","MESSAGE":[104,105,27]}');
    assert.deepEqual(binary.message, Buffer.from([104, 105, 27]));
    assert.equal(parseJournalLine('{"__CURSOR":"c3","__REALTIME_TIMESTAMP":"1","MESSAGE":null}').message, '');
    assert.throws(() => parseJournalLine('{"MESSAGE":"x"}'), (error: unknown) => hasErrorCode(error, 'ERR_JOURNAL_OUTPUT'));
    assert.throws(() => parseJournalLine('nope'), (error: unknown) => hasErrorCode(error, 'ERR_JOURNAL_OUTPUT'));
  });
});
