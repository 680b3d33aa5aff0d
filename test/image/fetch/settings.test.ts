import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_STALL_TIMEOUT_MS, loadFetchSettings } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { HttpsServer, TempDir } from '../../harness/index.js';
import { makeTempDir, startHttpsServer } from '../../harness/index.js';

describe('fetch/settings', () => {
  let tmp: TempDir;
  let server: HttpsServer;
  before(async () => {
    tmp = await makeTempDir('settings');
    server = await startHttpsServer();
  });
  after(async () => {
    await server.close();
    await tmp.remove();
  });

  it('defaults to Node\'s roots and a 30 s stall timeout without config', async () => {
    const settings = await loadFetchSettings(path.join(tmp.path, 'none'));
    assert.deepEqual(settings, { ca: undefined, caFile: undefined, stallTimeoutMs: DEFAULT_STALL_TIMEOUT_MS });
  });

  it('reads tls.caFile (relative to the config dir) and fetch.stallTimeout from config.yaml; flags win', async () => {
    const config = path.join(tmp.path, 'config');
    await mkdir(config, { recursive: true });
    await writeFile(path.join(config, 'ca.pem'), await readFile(server.caFile));
    await writeFile(path.join(config, 'config.yaml'), 'daemon:\n  other: 1\ntls:\n  caFile: ca.pem\nfetch:\n  stallTimeout: 5s\n');
    const settings = await loadFetchSettings(config);
    assert.equal(settings.caFile, path.join(config, 'ca.pem'));
    assert.equal(settings.stallTimeoutMs, 5000);
    assert.equal(settings.ca?.length, rootCertificates.length + 1);
    const flagged = await loadFetchSettings(config, { caFile: server.caFile, stallTimeout: '250ms' });
    assert.equal(flagged.caFile, server.caFile);
    assert.equal(flagged.stallTimeoutMs, 250);
  });

  it('names the problem with a bad config, CA file or duration', async () => {
    const bad = path.join(tmp.path, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, 'config.yaml'), 'tls: [unclosed\n');
    await assert.rejects(loadFetchSettings(bad), (error) => hasErrorCode(error, 'ERR_CONFIG_INVALID') && error.message.includes('config.yaml'));
    await writeFile(path.join(bad, 'config.yaml'), 'tls:\n  caFile: 42\n');
    await assert.rejects(loadFetchSettings(bad), (error) => hasErrorCode(error, 'ERR_CONFIG_INVALID') && error.message.includes('tls.caFile'));
    await writeFile(path.join(bad, 'config.yaml'), '{}\n');
    await writeFile(path.join(bad, 'not-a-cert.pem'), 'hello\n');
    await assert.rejects(loadFetchSettings(bad, { caFile: path.join(bad, 'not-a-cert.pem') }), (error) => hasErrorCode(error, 'ERR_CA_FILE_INVALID'));
    await assert.rejects(loadFetchSettings(bad, { caFile: path.join(bad, 'missing.pem') }), (error) => hasErrorCode(error, 'ERR_CA_FILE_NOT_FOUND'));
    await assert.rejects(loadFetchSettings(tmp.path, { stallTimeout: 'soon' }), (error) => hasErrorCode(error, 'ERR_INVALID_DURATION'));
    await assert.rejects(loadFetchSettings(tmp.path, { stallTimeout: '0' }), (error) => hasErrorCode(error, 'ERR_STALL_TIMEOUT'));
  });
});
