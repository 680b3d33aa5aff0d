import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_DEBOUNCE_MS, DEFAULT_POD_DIR, DEFAULT_RESYNC_MS, loadDaemonSettings } from '../../src/daemon/index.js';
import { hasErrorCode } from '../../src/util/index.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir } from '../harness/index.js';

describe('daemon/settings loadDaemonSettings', () => {
  let tmp: TempDir;
  let count = 0;
  before(async () => {
    tmp = await makeTempDir('daemon-settings');
  });
  after(() => tmp.remove());

  /** A fresh config dir, with `text` as config.yaml when given. */
  async function configDir(text?: string): Promise<string> {
    const dir = path.join(tmp.path, `c${count++}`);
    await mkdir(dir);
    if (text !== undefined) await writeFile(path.join(dir, 'config.yaml'), text);
    return dir;
  }

  async function fails(text: string, ...patterns: RegExp[]): Promise<void> {
    const dir = await configDir(text);
    await assert.rejects(loadDaemonSettings(dir), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_CONFIG_INVALID'), `unexpected error: ${String(error)}`);
      for (const pattern of patterns) assert.match(error.message, pattern);
      return true;
    });
  }

  it('has the defaults without a config file, or without a daemon section', async () => {
    const expected = { podDir: DEFAULT_POD_DIR, resyncMs: DEFAULT_RESYNC_MS, debounceMs: DEFAULT_DEBOUNCE_MS };
    assert.deepEqual(await loadDaemonSettings(await configDir()), expected);
    assert.deepEqual(await loadDaemonSettings(await configDir('network:\n  subnet: 10.1.0.0/16\n')), expected);
    assert.deepEqual(await loadDaemonSettings(await configDir('daemon:\n')), expected);
    assert.deepEqual(expected, { podDir: '/etc/pods', resyncMs: 60_000, debounceMs: 20 });
  });

  it('reads the daemon section, resolving a relative podDir against the config dir', async () => {
    const dir = await configDir('daemon:\n  podDir: pods.d\n  resyncInterval: 2m30s\n  debounce: 200ms\n');
    assert.deepEqual(await loadDaemonSettings(dir), { podDir: path.join(dir, 'pods.d'), resyncMs: 150_000, debounceMs: 200 });
  });

  it('keeps an absolute podDir, normalised', async () => {
    const dir = await configDir('daemon:\n  podDir: /srv/pods/../pods/\n');
    assert.equal((await loadDaemonSettings(dir)).podDir, '/srv/pods');
  });

  it('lets the command line win over the file', async () => {
    const dir = await configDir('daemon:\n  podDir: pods.d\n  resyncInterval: 2m\n  debounce: 10ms\n');
    const settings = await loadDaemonSettings(dir, { podDir: '/var/lib/pods', resyncInterval: '5s' });
    assert.deepEqual(settings, { podDir: '/var/lib/pods', resyncMs: 5000, debounceMs: 10 });
    const undefinedOverrides = await loadDaemonSettings(dir, { podDir: undefined, resyncInterval: undefined });
    assert.deepEqual(undefinedOverrides, { podDir: path.join(dir, 'pods.d'), resyncMs: 120_000, debounceMs: 10 });
  });

  it('refuses an unknown key, naming daemon.<key> and the file', async () => {
    await fails('daemon:\n  podDir: /etc/pods\n  podDirectory: /x\n', /unknown key daemon\.podDirectory/, /config\.yaml: /, /known: podDir, resyncInterval, debounce/);
  });

  it('refuses a daemon section that is not a mapping', async () => {
    await fails('daemon: /etc/pods\n', /daemon must be a mapping, not the string "\/etc\/pods"/);
    await fails('daemon: [a]\n', /daemon must be a mapping, not a list/);
  });

  it('refuses bad values, naming the key', async () => {
    await fails('daemon:\n  resyncInterval: 30\n', /daemon\.resyncInterval must be a duration such as "30s", not the number 30/);
    await fails('daemon:\n  debounce: soon\n', /daemon\.debounce: /);
    await fails('daemon:\n  podDir: ""\n', /daemon\.podDir must be a directory path/);
    await fails('daemon:\n  podDir: 3\n', /daemon\.podDir must be a directory path, not the number 3/);
  });

  it('refuses a resync interval under one second, from the file or the command line', async () => {
    await fails('daemon:\n  resyncInterval: 500ms\n', /at least 1s \(got 500 ms\)/);
    await assert.rejects(loadDaemonSettings(await configDir(), { resyncInterval: '10ms' }), /at least 1s/);
    await assert.rejects(loadDaemonSettings(await configDir(), { resyncInterval: 'often' }), (error: unknown) => hasErrorCode(error, 'ERR_INVALID_DURATION'));
  });
});
