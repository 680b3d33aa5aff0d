import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Candidate } from '../../src/daemon/index.js';
import { PodFileCache } from '../../src/daemon/index.js';
import { GONE_GRACE_MS, watchDir } from '../../src/daemon/source.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir, waitFor } from '../harness/index.js';

const NODE = 'node-1';

function podYaml(name: string, image = 'nginx:1.27'): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: app\n      image: ${image}\n`;
}

function candidate(cache: PodFileCache, file: string): Candidate {
  const found = cache.candidates().find((c) => c.key === file);
  if (found === undefined) assert.fail(`${file} is not a candidate; have ${cache.keys().join(', ')}`);
  return found;
}

function imageOf(c: Candidate): string {
  if (!c.outcome.ok) assert.fail(`${c.key} is invalid: ${c.outcome.reason}`);
  return JSON.stringify(c.outcome.spec.containers[0]?.image);
}

describe('daemon/source PodFileCache', () => {
  let tmp: TempDir;
  let count = 0;
  before(async () => {
    tmp = await makeTempDir('daemon-source');
  });
  after(() => tmp.remove());

  /** A fresh pod directory holding `files` (mode 0644). */
  async function podDir(files: Record<string, string>): Promise<string> {
    const dir = path.join(tmp.path, `d${count++}`);
    await mkdir(dir);
    for (const [name, text] of Object.entries(files)) await put(dir, name, text);
    return dir;
  }

  async function put(dir: string, name: string, text: string, mode = 0o644): Promise<void> {
    await writeFile(path.join(dir, name), text);
    await chmod(path.join(dir, name), mode);
  }

  it('finds the pod files of a directory and reports ignored names once', async () => {
    const dir = await podDir({ 'web.yaml': podYaml('web'), 'api.yml': podYaml('api'), '.web.yaml.swp': 'x', 'README': 'read me', 'web.yaml~': 'old' });
    const ignored: [string, string][] = [];
    const cache = new PodFileCache(dir, NODE, (name, reason) => ignored.push([name, reason]));
    assert.deepEqual([...(await cache.scan())].sort(), ['api.yml', 'web.yaml']);
    assert.deepEqual(cache.keys().sort(), ['api.yml', 'web.yaml']);
    assert.deepEqual(ignored.map(([name]) => name).sort(), ['.web.yaml.swp', 'README', 'web.yaml~']);
    assert.ok(ignored.every(([, reason]) => reason.length > 0));
    const web = candidate(cache, 'web.yaml');
    assert.ok(web.outcome.ok && web.outcome.spec.name === 'web');

    assert.deepEqual([...(await cache.scan())], [], 'nothing changed');
    assert.equal(await cache.refresh('README'), false);
    assert.equal(ignored.length, 3, 'ignored names are reported once');
  });

  it('treats a missing directory as empty', async () => {
    const cache = new PodFileCache(path.join(tmp.path, 'no-such-dir'), NODE);
    assert.deepEqual([...(await cache.scan())], []);
    assert.deepEqual(cache.candidates(), []);
  });

  it('says false for an unchanged file and true after its content changed', async () => {
    const dir = await podDir({ 'web.yaml': podYaml('web') });
    const cache = new PodFileCache(dir, NODE);
    assert.equal(await cache.refresh('web.yaml'), true, 'new to the cache');
    const first = candidate(cache, 'web.yaml');
    assert.equal(await cache.refresh('web.yaml'), false);
    await put(dir, 'web.yaml', podYaml('web', 'nginx:1.28-alpine'));
    assert.equal(await cache.refresh('web.yaml'), true);
    const second = candidate(cache, 'web.yaml');
    assert.match(imageOf(second), /1\.28-alpine/);
    assert.equal(second.firstSeen, first.firstSeen, 'first seen stays');
    assert.notDeepEqual(second.outcome, first.outcome);
  });

  it('says false when a file changed in a way that does not change its pod (a comment)', async () => {
    const dir = await podDir({ 'web.yaml': podYaml('web') });
    const cache = new PodFileCache(dir, NODE);
    await cache.scan();
    await put(dir, 'web.yaml', `# edited by hand\n${podYaml('web')}`);
    assert.equal(await cache.refresh('web.yaml'), false);
  });

  it('drops a deleted file from the candidates', async () => {
    const dir = await podDir({ 'web.yaml': podYaml('web'), 'api.yaml': podYaml('api') });
    const cache = new PodFileCache(dir, NODE);
    await cache.scan();
    await rm(path.join(dir, 'web.yaml'));
    assert.deepEqual([...(await cache.scan())], ['web.yaml']);
    assert.deepEqual(cache.candidates().map((c) => c.key), ['api.yaml']);
    assert.equal(await cache.refresh('web.yaml'), false, 'already gone');

    await rm(path.join(dir, 'api.yaml'));
    assert.equal(await cache.refresh('api.yaml'), true);
    assert.deepEqual(cache.candidates(), []);
  });

  it('turns a refused file into an invalid candidate, and back when fixed', async () => {
    const dir = await podDir({});
    await put(dir, 'web.yaml', podYaml('web'), 0o666);
    const cache = new PodFileCache(dir, NODE);
    await cache.scan();
    const refused = candidate(cache, 'web.yaml');
    assert.equal(refused.outcome.ok, false);
    if (!refused.outcome.ok) assert.match(refused.outcome.reason, /writable by everyone/);
    await chmod(path.join(dir, 'web.yaml'), 0o644);
    assert.equal(await cache.refresh('web.yaml'), true);
    assert.equal(candidate(cache, 'web.yaml').outcome.ok, true);
    assert.equal(candidate(cache, 'web.yaml').firstSeen, refused.firstSeen);
  });

  it('keeps the pod name of an invalid file and the first error as the reason', async () => {
    const dir = await podDir({ 'web.yaml': podYaml('web').replace('image: nginx:1.27', 'image: ""') });
    const cache = new PodFileCache(dir, NODE);
    await cache.scan();
    const bad = candidate(cache, 'web.yaml');
    if (bad.outcome.ok) assert.fail('expected an invalid file');
    assert.equal(bad.outcome.podName, 'web');
    assert.match(bad.outcome.reason, new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/web\\.yaml:\\d+:\\d+: `));
  });
});

describe('daemon/source watchDir', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('daemon-watch');
  });
  after(() => tmp.remove());

  /** Watches a fresh directory; `reports` collects [name, performance.now(), exists then]. */
  async function watching(label: string, goneGraceMs: number): Promise<{ dir: string; reports: [string, number, boolean][]; close: () => Promise<void> }> {
    const dir = path.join(tmp.path, label);
    await mkdir(dir);
    const reports: [string, number, boolean][] = [];
    const watch = await watchDir(dir, 20, (name) => {
      reports.push([name, performance.now(), existsSync(path.join(dir, name))]);
    }, (error) => assert.fail(String(error)), goneGraceMs);
    return { dir, reports, close: () => watch.close() };
  }
  const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  /** Writes `name` and waits for its own report, then forgets the reports so far. */
  const created = async (w: { dir: string; reports: [string, number, boolean][] }, name: string): Promise<void> => {
    await writeFile(path.join(w.dir, name), 'one');
    const seen = await waitFor(async () => Promise.resolve(w.reports.some(([n, , exists]) => n === name && exists) ? true : undefined), { timeoutMs: 10_000, intervalMs: 10 });
    assert.ok(seen, `${name} was reported`);
    w.reports.length = 0;
  };

  it('a name missing for longer than the debounce during a save (vim: rename away, write anew) is reported once, as present', async () => {
    const w = await watching('vim', GONE_GRACE_MS);
    try {
      await created(w, 'web.yaml');
      await rename(path.join(w.dir, 'web.yaml'), path.join(w.dir, 'web.yaml~'));
      await settle(80); // an editor descheduled between its rename and its write
      await writeFile(path.join(w.dir, 'web.yaml'), 'two');
      await rm(path.join(w.dir, 'web.yaml~'));
      await settle(GONE_GRACE_MS + 300);
      assert.deepEqual(w.reports.filter(([name]) => name === 'web.yaml').map(([name, , exists]) => [name, exists]), [['web.yaml', true]]);
    } finally {
      await w.close();
    }
  });

  it('a deletion is reported once, after the debounce and the grace', async () => {
    const w = await watching('deleted', GONE_GRACE_MS);
    try {
      await created(w, 'web.yaml');
      const removedAt = performance.now();
      await rm(path.join(w.dir, 'web.yaml'));
      const reported = await waitFor(async () => Promise.resolve(w.reports.length > 0 ? w.reports : undefined), { timeoutMs: 10_000, intervalMs: 10 });
      await settle(300);
      assert.equal(reported?.length, 1, JSON.stringify(w.reports));
      const [name, at, exists] = w.reports[0] ?? [];
      assert.deepEqual([name, exists], ['web.yaml', false]);
      // Timers never fire early: the report comes at least the grace (plus the debounce) later.
      assert.ok((at ?? 0) - removedAt >= GONE_GRACE_MS, `reported ${((at ?? 0) - removedAt).toFixed(0)} ms after the removal`);
    } finally {
      await w.close();
    }
  });

  it('without a grace, a deletion is reported after the debounce alone', async () => {
    const w = await watching('no-grace', 0);
    try {
      await created(w, 'a.yaml');
      await rm(path.join(w.dir, 'a.yaml'));
      const reported = await waitFor(async () => Promise.resolve(w.reports.length > 0 ? w.reports : undefined), { timeoutMs: 10_000, intervalMs: 10 });
      assert.deepEqual(reported?.map(([name, , exists]) => [name, exists]), [['a.yaml', false]]);
    } finally {
      await w.close();
    }
  });
});
