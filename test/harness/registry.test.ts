import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { httpGet } from './http.js';
import { identify, isAlive } from './proc.js';
import { startRegistry } from './registry.js';

const ACCEPT = { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' };

describe('startRegistry', () => {
  it('serves the v2 API on a loopback port and stops without leftovers', async (t) => {
    const registry = await startRegistry();
    t.after(() => registry.stop());
    assert.equal(registry.url, `http://127.0.0.1:${registry.port}`);
    assert.equal(registry.host, `127.0.0.1:${registry.port}`);
    const process = await identify(registry.pid);
    assert.ok(process !== undefined);
    const base = await httpGet(`${registry.url}/v2/`, ACCEPT);
    assert.equal(base.status, 200);
    assert.equal(base.headers['docker-distribution-api-version'], 'registry/2.0');
    const catalog = await httpGet(`${registry.url}/v2/_catalog`, { Accept: 'application/json' });
    assert.deepEqual(JSON.parse(catalog.body), { repositories: [] });
    await access(registry.dataDir);

    await registry.stop();
    await registry.stop();
    assert.equal(await isAlive(process), false);
    await assert.rejects(access(registry.dataDir), { code: 'ENOENT' });
    await assert.rejects(httpGet(`${registry.url}/v2/`, ACCEPT), { code: 'ECONNREFUSED' });
  });
});
