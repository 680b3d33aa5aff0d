import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extract as createExtract } from 'tar-stream';
import type { TarEvent } from '../../../src/image/archive/tar-parser.js';
import { TarFormatError, TarParser } from '../../../src/image/archive/tar-parser.js';
import { makeTar, removeDir, run, setUserXattr, tempDir } from '../fixtures.js';

/** One entry as seen by a parser: the header fields that matter and the content. */
interface Seen {
  readonly name: string;
  readonly type: string | null;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  readonly pax: unknown;
  readonly offset: number;
  readonly content: string;
}

function seen(header: Record<string, unknown>, offset: number, content: Buffer): Seen {
  return {
    name: String(header.name),
    type: (header.type as string | null) ?? null,
    mode: Number(header.mode),
    uid: Number(header.uid),
    gid: Number(header.gid),
    size: Number(header.size),
    mtime: (header.mtime as Date).getTime(),
    linkname: typeof header.linkname === 'string' ? header.linkname : '',
    devmajor: Number(header.devmajor),
    devminor: Number(header.devminor),
    pax: header.pax ?? null,
    offset,
    content: content.toString('hex'),
  };
}

/** What tar-stream (the reference) makes of `bytes`. */
async function referenceParse(bytes: Buffer): Promise<Seen[]> {
  const extract = createExtract();
  const entries: Seen[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      entries.push(seen(entry.header as unknown as Record<string, unknown>, entry.offset, Buffer.concat(chunks)));
    }
  })();
  extract.end(bytes);
  await done;
  return entries;
}

/** What TarParser makes of `bytes` fed in chunks of `chunkSize` (copied, so no chunk outlives its push). */
function parse(bytes: Buffer, chunkSize: number): Seen[] {
  const parser = new TarParser();
  const entries: Seen[] = [];
  let current: { header: Record<string, unknown>; offset: number; chunks: Buffer[] } | undefined;
  const onEvent = (event: TarEvent): void => {
    if (event.kind === 'entry') current = { header: event.header as unknown as Record<string, unknown>, offset: event.offset, chunks: [] };
    else if (event.kind === 'data') current?.chunks.push(Buffer.from(event.bytes));
    else if (current !== undefined) entries.push(seen(current.header, current.offset, Buffer.concat(current.chunks)));
  };
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    parser.push(Buffer.from(bytes.subarray(offset, offset + chunkSize)));
    for (let event = parser.next(); event !== undefined; event = parser.next()) onEvent(event);
  }
  parser.end();
  return entries;
}

const CHUNKINGS = [1, 7, 511, 512, 513, 4096, 1 << 20];

describe('tar parser', () => {
  let work: string;
  let tree: string;
  before(async () => {
    work = await tempDir('tar-parser');
    tree = path.join(work, 'tree');
    const deep = path.join(tree, 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60));
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(deep, `${'long-name-'.repeat(12)}.txt`), 'deep content\n');
    await writeFile(path.join(tree, 'empty'), '');
    await writeFile(path.join(tree, 'block-sized'), Buffer.alloc(512, 1));
    await writeFile(path.join(tree, 'odd-sized'), Buffer.alloc(70_001, 2));
    await writeFile(path.join(tree, 'ünïcødé'), 'utf-8 name');
    await symlink(`../${'t'.repeat(150)}`, path.join(tree, 'long-link'));
    await symlink('empty', path.join(tree, 'short-link'));
    await run('ln', [path.join(tree, 'odd-sized'), path.join(tree, 'hard')]);
    await run('mkfifo', [path.join(tree, 'fifo')]);
    await setUserXattr(path.join(tree, 'empty'), 'user.note', 'x'.repeat(300));
  });
  after(() => removeDir(work));

  for (const format of ['posix', 'gnu', 'ustar', 'v7'] as const) {
    it(`reads GNU tar --format=${format} exactly like tar-stream, in any chunking`, async () => {
      const out = path.join(work, `${format}.tar`);
      const flat = ['empty', 'odd-sized', 'hard', 'block-sized', 'short-link', ...(format === 'v7' ? [] : ['fifo'])];
      const members = format === 'ustar' || format === 'v7' ? flat : ['.'];
      const extra = format === 'posix' ? ['--xattrs', '--xattrs-include=user.*'] : [];
      await run('tar', [`--format=${format}`, ...extra, '-C', tree, '-cf', out, ...members]);
      const bytes = await readFile(out);
      const expected = await referenceParse(bytes).catch((error: unknown) => error);
      if (expected instanceof Error) {
        // v7 headers have no magic: both parsers refuse them the same way.
        for (const size of CHUNKINGS) assert.throws(() => parse(bytes, size), { message: expected.message });
        return;
      }
      assert.ok(Array.isArray(expected) && expected.length >= 5, `${format}: the archive has entries`);
      for (const size of CHUNKINGS) assert.deepEqual(parse(bytes, size), expected, `${format} in chunks of ${size}`);
    });
  }

  it('reads archives written by tar-stream (pax long names, devices) like tar-stream', async () => {
    const bytes = await makeTar([
      { header: { name: `rootfs/${'x'.repeat(120)}/${'y'.repeat(120)}`, type: 'file' }, content: 'pax path' },
      { header: { name: 'rootfs/link', type: 'symlink', linkname: `/${'z'.repeat(200)}` } },
      { header: { name: 'rootfs/dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 } },
      { header: { name: 'rootfs/dir', type: 'directory', uid: 1000, gid: 2000, mode: 0o2775 } },
      { header: { name: 'rootfs/big-uid', type: 'file', uid: 0o7777777 + 5 }, content: 'base-256 uid' },
    ]);
    const expected = await referenceParse(bytes);
    assert.equal(expected.length, 5);
    for (const size of CHUNKINGS) assert.deepEqual(parse(bytes, size), expected, `chunks of ${size}`);
  });

  it('reports a truncated archive (inside data, inside a header) as truncated', async () => {
    const bytes = await makeTar([{ header: { name: 'file', type: 'file' }, content: Buffer.alloc(5000, 3) }]);
    for (const cut of [100, 512 + 100, 512 + 5000 + 10]) {
      assert.throws(() => parse(bytes.subarray(0, cut), 512), (error: unknown) => {
        assert.ok(error instanceof TarFormatError);
        assert.equal(error.truncated, true, `cut at ${cut}`);
        assert.equal(error.message, 'Unexpected end of data');
        return true;
      });
    }
  });

  it('reports a header with a bad checksum or an unknown magic as corrupt', () => {
    const bad = Buffer.alloc(1536);
    bad.write('name', 0, 'latin1');
    bad.write('0000777 ', 148, 'latin1');
    assert.throws(() => parse(bad, 512), (error: unknown) =>
      error instanceof TarFormatError && !error.truncated && /^Invalid tar header\. Maybe the tar is corrupted/.test(error.message));
    const noMagic = Buffer.alloc(1536);
    noMagic.write('name', 0, 'latin1');
    let sum = 8 * 32;
    for (const byte of noMagic.subarray(0, 512)) sum += byte;
    noMagic.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    assert.throws(() => parse(noMagic, 512), (error: unknown) => error instanceof TarFormatError && error.message === 'Invalid tar header: unknown format.');
  });
});
