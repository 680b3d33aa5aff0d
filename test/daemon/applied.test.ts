import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppliedPod, PodFileKey } from '../../src/daemon/index.js';
import { AppliedRecords } from '../../src/daemon/index.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir } from '../harness/index.js';
import { valid } from '../podfile/helpers.js';

function record(pod: string, file: string): AppliedPod {
  const result = valid(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${pod}\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n`, file);
  return { pod, file: file as PodFileKey, hash: result.hash, uuid: '6f1c2b9e-3a4d-4e5f-8a7b-0c1d2e3f4a5b', startedAt: 1_700_000_000_000, spec: result.spec, images: [`sha512-${'a'.repeat(128)}`], previousImages: [] };
}

describe('daemon/applied AppliedRecords', () => {
  let tmp: TempDir;
  let count = 0;
  before(async () => {
    tmp = await makeTempDir('daemon-applied');
  });
  after(() => tmp.remove());

  const dataDir = (): string => path.join(tmp.path, `data${count++}`);

  it('loads nothing from a data dir without records', async () => {
    const records = await new AppliedRecords(dataDir()).load();
    assert.deepEqual([...records.all()], []);
    assert.equal(records.get('web'), undefined);
  });

  it('round-trips set, get and delete through a new instance', async () => {
    const dir = dataDir();
    const first = new AppliedRecords(dir);
    const web = record('web', 'web.yaml');
    const api = record('api', 'api.yml');
    await first.set(web);
    await first.set(api);
    assert.deepEqual(first.get('web'), web);

    const second = await new AppliedRecords(dir).load();
    assert.deepEqual(second.get('web'), web);
    assert.deepEqual(second.get('api'), api);
    assert.deepEqual([...second.all()].map((r) => r.pod).sort(), ['api', 'web']);
    const mode = (await stat(path.join(dir, 'daemon', 'applied', 'web.json'))).mode & 0o777;
    assert.equal(mode, 0o600);

    await second.delete('web');
    assert.equal(second.get('web'), undefined);
    await second.delete('never-was');
    const third = await new AppliedRecords(dir).load();
    assert.equal(third.get('web'), undefined);
    assert.deepEqual(third.get('api'), api);
    assert.deepEqual(await readdir(path.join(dir, 'daemon', 'applied')), ['api.json']);
  });

  it('replaces a record on set', async () => {
    const dir = dataDir();
    const records = new AppliedRecords(dir);
    await records.set(record('web', 'web.yaml'));
    const moved = { ...record('web', 'other.yaml'), uuid: '00000000-0000-4000-8000-000000000000' };
    await records.set(moved);
    assert.deepEqual((await new AppliedRecords(dir).load()).get('web'), moved);
  });

  it('skips corrupt, foreign and misnamed files', async () => {
    const dir = dataDir();
    const appliedDir = path.join(dir, 'daemon', 'applied');
    await mkdir(appliedDir, { recursive: true });
    const good = record('good', 'good.yaml');
    await writeFile(path.join(appliedDir, 'good.json'), JSON.stringify(good));
    await writeFile(path.join(appliedDir, 'torn.json'), '{"pod": "torn", "file": "to');
    await writeFile(path.join(appliedDir, 'array.json'), '[1, 2]');
    await writeFile(path.join(appliedDir, 'null.json'), 'null');
    await writeFile(path.join(appliedDir, 'nohash.json'), JSON.stringify({ ...record('nohash', 'nohash.yaml'), hash: 3 }));
    await writeFile(path.join(appliedDir, 'badfile.json'), JSON.stringify(record('badfile', '.badfile.yaml.swp')));
    await writeFile(path.join(appliedDir, 'notes.txt'), JSON.stringify(record('notes', 'notes.yaml')));
    await writeFile(path.join(appliedDir, 'Upper.json'), JSON.stringify(record('upper', 'upper.yaml')));
    await mkdir(path.join(appliedDir, 'dir.json'));
    const records = await new AppliedRecords(dir).load();
    assert.deepEqual([...records.all()], [good]);
  });
});
