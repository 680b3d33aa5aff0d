/** `rocklet image list`: columns, --fields, --sort/--order, --full, --no-legend, JSON. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImageRecord } from '../../src/image/index.js';
import { formatBytesIec } from '../../src/cli/render/size.js';
import { formatTimestamp } from '../../src/cli/render/time.js';
import type { ImageWorkspace } from './image-setup.js';
import { buildImage, createWorkspace, imageManifest, importImage, linesOf, makeSmallImageDir } from './image-setup.js';

const HEADER = ['ID', 'NAME', 'SIZE', 'IMPORT TIME', 'LAST USED'];
const RELATIVE_TIME = /^(now|1 second ago|\d+ seconds ago|1 minute ago|\d+ minutes ago)$/;

function cells(line: string): string[] {
  return line.split(/ {2,}/);
}

describe('rocklet image list', () => {
  let ws: ImageWorkspace;
  /** In import order. */
  let records: ImageRecord[];
  const short = (record: ImageRecord): string => record.id.slice(0, 'sha512-'.length + 12);
  const size = (record: ImageRecord): number => record.sizeBytes + record.treeSizeBytes;

  before(async () => {
    ws = await createWorkspace('image-list');
    // Names, versions and sizes chosen so that every sort order differs from import order.
    const images: [string, string, number][] = [['example.com/mid', '2.0', 40_000], ['example.com/zeta', '1.0', 5_000], ['example.com/alpha', '3.1', 300_000]];
    for (const [name, version, bytes] of images) {
      const dir = path.join(ws.root, name.split('/')[1] ?? name);
      await makeSmallImageDir(dir, imageManifest(name, version), { 'data/blob': 'x'.repeat(bytes), 'etc/hostname': `${name}\n` });
      await importImage(ws, (await buildImage(dir)).plainAci);
    }
    // Import times a minute apart, written into the records: on a fresh VM the wall clock can
    // be stepped while the images are imported, and the sort tests need a known order.
    const store = await ws.store();
    const base = Date.now() - 10 * 60_000;
    for (const record of await store.list()) {
      const file = store.layout.record(record.id);
      const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      const at = new Date(base + images.findIndex(([name]) => name === record.name) * 60_000).toISOString();
      await writeFile(file, JSON.stringify({ ...json, importTime: at, lastUsed: at }));
    }
    records = await store.list();
    assert.deepEqual(records.map((record) => record.name), images.map(([name]) => name));
  });
  after(() => ws.remove());

  it('prints rkt\'s columns: short ID, name:version, IEC size, relative times, by import time', async () => {
    const r = await ws.rocklet(['image', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const [header = '', ...rows] = linesOf(r.stdout);
    assert.deepEqual(cells(header), HEADER);
    assert.equal(rows.length, records.length);
    rows.forEach((row, index) => {
      const record = records[index] as ImageRecord;
      const [id, name, sizeText, imported, used] = cells(row);
      assert.equal(id, short(record));
      assert.equal(name, `${record.name}:${record.labels[0]?.value ?? ''}`);
      assert.equal(sizeText, formatBytesIec(size(record)));
      assert.match(sizeText ?? '', /^\d+(\.\d)?(B|KiB|MiB)$/);
      assert.match(imported ?? '', RELATIVE_TIME);
      assert.match(used ?? '', RELATIVE_TIME);
    });
    assert.ok(!/ \n/.test(r.stdout), 'no trailing blanks');
  });

  it('--no-legend drops the header; --fields picks and orders columns (any case)', async () => {
    const bare = await ws.rocklet(['image', 'list', '--no-legend', '--fields=name,ID']);
    assert.equal(bare.code, 0, bare.stderr);
    assert.deepEqual(linesOf(bare.stdout).map(cells), records.map((record) => [`${record.name}:${record.labels[0]?.value ?? ''}`, short(record)]));
    const repeated = await ws.rocklet(['image', 'list', '--fields', 'size', '--fields', 'name']);
    assert.deepEqual(linesOf(repeated.stdout).map(cells)[0], ['SIZE', 'NAME']);
  });

  it('--sort and --order sort by a column (default: import time)', async () => {
    const names = async (args: string[]): Promise<string[]> => {
      const r = await ws.rocklet(['image', 'list', '--no-legend', '--fields=name', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return linesOf(r.stdout).map((line) => line.split(':')[0] ?? '');
    };
    assert.deepEqual(await names(['--sort=name']), ['example.com/alpha', 'example.com/mid', 'example.com/zeta']);
    assert.deepEqual(await names(['--sort=name', '--order=desc']), ['example.com/zeta', 'example.com/mid', 'example.com/alpha']);
    assert.deepEqual(await names(['--sort=size']), ['example.com/zeta', 'example.com/mid', 'example.com/alpha']);
    assert.deepEqual(await names(['--order=desc']), ['example.com/alpha', 'example.com/zeta', 'example.com/mid'], 'default key: import time');
    // Using an image (export reads it) makes it the most recently used.
    const first = records[0] as ImageRecord;
    const used = await ws.rocklet(['image', 'export', first.id, path.join(ws.root, 'used.aci')]);
    assert.equal(used.code, 0, used.stderr);
    assert.deepEqual(await names(['--sort=lastused']), ['example.com/zeta', 'example.com/alpha', 'example.com/mid']);
  });

  it('unknown or repeated field and sort names are usage errors listing the valid ones', async () => {
    const before = await ws.snapshot();
    const cases: [string[], string][] = [
      [['--fields=name,bogus'], 'image list: unknown field "bogus" in --fields: valid fields are id, name, size, importtime, lastused, digest, references, verified'],
      [['--sort=newest'], 'image list: unknown field "newest" in --sort: valid fields are id, name, size, importtime, lastused, digest'],
      [['--fields=name,NAME'], 'image list: field "name" is given twice in --fields'],
      [['--fields=name,'], 'image list: empty name in --fields: expected a comma-separated list of id, name, size, importtime, lastused, digest, references, verified'],
      [['--order=up'], 'image list: invalid value "up" for --order: expected one of asc, desc'],
      [['extra'], 'image list: too many arguments: expected 0, got 1'],
    ];
    for (const [args, message] of cases) {
      const r = await ws.rocklet(['image', 'list', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(linesOf(r.stderr)[0], message);
    }
    assert.deepEqual(await ws.snapshot(), before);
  });

  it('--full shows full IDs, sizes in bytes and absolute times', async () => {
    const fresh = await (await ws.store()).list();
    const r = await ws.rocklet(['image', 'list', '--full', '--no-legend']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(linesOf(r.stdout).map(cells), fresh.map((record) => [
      record.id, `${record.name}:${record.labels[0]?.value ?? ''}`, String(size(record)), formatTimestamp(record.importTime), formatTimestamp(record.lastUsed),
    ]));
    assert.match(formatTimestamp(fresh[0]?.importTime ?? new Date()), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})? [+-]\d{4} \S+$/);
  });

  it('--format json prints rkt\'s ImageListEntry objects on one line; json-pretty indents them', async () => {
    const fresh = await (await ws.store()).list();
    const expected = fresh.map((record) => ({
      id: record.id,
      name: `${record.name}:${record.labels[0]?.value ?? ''}`,
      import_time: record.importTime.getTime() * 1e6,
      last_used_time: record.lastUsed.getTime() * 1e6,
      size: size(record),
    }));
    const json = await ws.rocklet(['image', 'list', '--format=json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(linesOf(json.stdout).length, 1);
    assert.deepEqual(JSON.parse(json.stdout), expected);
    assert.match(json.stdout, new RegExp(`"import_time":${fresh[0]?.importTime.getTime() ?? 0}000000,`), 'exact nanoseconds');
    const pretty = await ws.rocklet(['image', 'list', '--format=json-pretty', '--sort=name', '--fields=id', '--no-legend']);
    assert.deepEqual(JSON.parse(pretty.stdout), [...expected].sort((a, b) => (a.name < b.name ? -1 : 1)), 'sorted; --fields shapes tables only');
    assert.match(pretty.stdout, /^\[\n {2}\{\n {4}"id": "sha512-/);
  });

  it('an empty store lists only the legend, or []', async () => {
    const empty = await createWorkspace('image-list-empty');
    try {
      const table = await empty.rocklet(['image', 'list']);
      assert.deepEqual([table.code, linesOf(table.stdout).map(cells)], [0, [HEADER]]);
      const json = await empty.rocklet(['image', 'list', '--format', 'json']);
      assert.deepEqual([json.code, json.stdout], [0, '[]\n']);
    } finally {
      await empty.remove();
    }
  });
});
