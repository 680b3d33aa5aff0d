/**
 * Standalone app logs (pod/logs): the writer's records (lines, partial lines, long lines, both
 * streams in arrival order), rotation at the size bound, and the reader's tail, since and
 * follow over real files, across a rotation.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { LogRecord } from '../../../src/pod/index.js';
import { AppLogWriter, MAX_RECORD_CONTENT, appLogPaths, decodeRecord, encodeRecord, formatUsec, readAppLog } from '../../../src/pod/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';

async function collect(records: AsyncIterable<LogRecord>): Promise<string[]> {
  const lines: string[] = [];
  for await (const record of records) lines.push(`${record.stream}:${record.partial ? 'P' : 'F'}:${record.content.toString()}`);
  return lines;
}

describe('pod/logs', () => {
  let tmp: TempDir;
  let n = 0;
  const podDir = (): string => `${tmp.path}/pod-${++n}`;
  before(async () => {
    tmp = await makeTempDir('logs-unit');
  });
  after(() => tmp?.remove());

  it('encodes and decodes a record (CRI format, µs times)', () => {
    const record = { timeUsec: 1_796_445_004_535_804, stream: 'stderr' as const, partial: false, content: Buffer.from('a b  c\r') };
    const bytes = encodeRecord(record);
    assert.equal(bytes.toString(), `${formatUsec(record.timeUsec)} stderr F a b  c\r\n`);
    assert.equal(formatUsec(record.timeUsec), '2026-12-05T04:30:04.535804Z');
    const decoded = decodeRecord(bytes.subarray(0, bytes.length - 1));
    assert.deepEqual(decoded, record);
    assert.equal(decodeRecord(Buffer.from('not a record')), undefined);
  });

  it('writes lines of both streams in the order they arrive, splitting chunks at newlines', async () => {
    const dir = podDir();
    const writer = new AppLogWriter(dir, 'app');
    writer.append('stdout', Buffer.from('one\ntw'));
    writer.append('stderr', Buffer.from('err\n'));
    writer.append('stdout', Buffer.from('o\nthree'));
    writer.close();
    assert.deepEqual(await collect(readAppLog(dir, 'app')), ['stdout:F:one', 'stderr:F:err', 'stdout:F:two', 'stdout:P:three']);
  });

  it('splits a line longer than a record into P records', async () => {
    const dir = podDir();
    const writer = new AppLogWriter(dir, 'app');
    writer.append('stdout', Buffer.alloc(MAX_RECORD_CONTENT * 2 + 10, 'x'));
    writer.append('stdout', Buffer.from('\n'));
    writer.close();
    const lines = await collect(readAppLog(dir, 'app'));
    assert.deepEqual(lines.map((line) => `${line.slice(0, 9)}${line.length - 9}`), [`stdout:P:${MAX_RECORD_CONTENT}`, `stdout:P:${MAX_RECORD_CONTENT}`, 'stdout:F:10']);
  });

  it('rotates at the size bound, keeps one older file, and reads both in order', async () => {
    const dir = podDir();
    const writer = new AppLogWriter(dir, 'app', 1000);
    for (let i = 0; i < 100; i++) writer.append(i % 2 === 0 ? 'stdout' : 'stderr', Buffer.from(`line-${i}\n`));
    writer.close();
    const paths = appLogPaths(dir, 'app');
    assert.ok((await stat(paths.current)).size <= 1000);
    assert.ok((await stat(paths.rotated)).size <= 1000);
    const lines = (await collect(readAppLog(dir, 'app'))).map((line) => line.split(':')[2]);
    // Bounded: the oldest lines are gone, the rest are the newest ones, in order.
    assert.ok(lines.length < 100 && lines.length > 20, `${lines.length} lines kept`);
    assert.deepEqual(lines, Array.from({ length: lines.length }, (_, i) => `line-${100 - lines.length + i}`));
  });

  it('tails the last N lines, across the rotated file, and the trailing partial line counts', async () => {
    const dir = podDir();
    const writer = new AppLogWriter(dir, 'app', 400);
    for (let i = 0; i < 12; i++) writer.append('stdout', Buffer.from(`line-${i}\n`));
    writer.append('stdout', Buffer.from('last'));
    writer.close();
    const current = (await readFile(appLogPaths(dir, 'app').current, 'utf8')).split('\n').length - 1;
    assert.ok(current < 8, 'the last lines span both files');
    const tail = async (lines: number): Promise<string[]> => (await collect(readAppLog(dir, 'app', { tail: lines }))).map((line) => line.split(':')[2] ?? '');
    assert.deepEqual(await tail(0), []);
    assert.deepEqual(await tail(1), ['last']);
    assert.deepEqual(await tail(3), ['line-10', 'line-11', 'last']);
    assert.deepEqual(await tail(8), ['line-5', 'line-6', 'line-7', 'line-8', 'line-9', 'line-10', 'line-11', 'last']);
  });

  it('keeps only records since a time', async () => {
    const dir = podDir();
    const writer = new AppLogWriter(dir, 'app');
    writer.append('stdout', Buffer.from('early\n'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    writer.append('stdout', Buffer.from('late\n'));
    writer.close();
    assert.deepEqual(await collect(readAppLog(dir, 'app', { sinceUsec: since })), ['stdout:F:late']);
  });

  it('follows appended records across a rotation and ends after the writer is done', async () => {
    const dir = podDir();
    const writer = new AppLogWriter(dir, 'app', 500);
    writer.append('stdout', Buffer.from('first\n'));
    let running = true;
    const seen: string[] = [];
    const following = (async () => {
      for await (const record of readAppLog(dir, 'app', { follow: { running: () => Promise.resolve(running), intervalMs: 10 } })) {
        seen.push(record.content.toString());
        if (seen.length === 1) {
          // Written while the reader follows: enough to rotate twice.
          for (let i = 0; i < 12; i++) writer.append('stdout', Buffer.from(`more-${i}\n`));
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    writer.append('stdout', Buffer.from('final\n'));
    writer.close();
    running = false;
    await following;
    assert.deepEqual(seen, ['first', ...Array.from({ length: 12 }, (_, i) => `more-${i}`), 'final']);
  });
});
