/**
 * Keys from files and https URLs, and ac-discovery-pubkeys discovery, against a real loopback
 * HTTPS server with a throw-away CA. Discovery URLs carry no port, so the server listens on
 * 443 of its own loopback address (127.77.0.x: nothing else in the suite uses those).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createKeyFetchContext, discoverPublicKeys, parseTrustPrefix, readKeySource } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { InsecureFeature } from '../../../src/util/index.js';
import type { GpgKey, HttpsServer, TempDir } from '../../harness/index.js';
import { createGpgKey, makeTempDir, startHttpsServer } from '../../harness/index.js';
import { Owned, lower } from './keys.js';

const HOST = '127.77.0.1';

function page(...tags: [string, string][]): string {
  return `<html><head>${tags.map(([prefix, url]) => `<meta name="ac-discovery-pubkeys" content="${prefix} ${url}">`).join('\n')}</head></html>`;
}

describe('readKeySource and discoverPublicKeys', () => {
  const owned = new Owned();
  let tmp: TempDir;
  let server: HttpsServer;
  let key: GpgKey;
  let config = '';
  const context = (options: { ca?: boolean; insecure?: InsecureFeature[] } = {}): ReturnType<typeof createKeyFetchContext> =>
    createKeyFetchContext(config, { caFile: options.ca === false ? undefined : server.caFile, insecure: new Set(options.insecure ?? []) });

  before(async () => {
    tmp = await owned.own(makeTempDir('key-source'));
    config = join(tmp.path, 'config');
    key = await owned.own(createGpgKey({ name: 'Discovered Signer', email: 'discovered@example.invalid' }));
    server = await startHttpsServer({ host: HOST, port: 443 });
    owned.add({ remove: () => server.close() });
    server.route('/keys/team.asc', { kind: 'bytes', body: key.armoredPublicKey, contentType: 'application/pgp-keys' });
  });
  after(() => owned.removeAll());

  it('reads a key file', async () => {
    const file = join(tmp.path, 'key.asc');
    await writeFile(file, key.armoredPublicKey);
    const source = await readKeySource(file, await context());
    assert.deepEqual(source.keys.map((k) => k.fingerprint), [lower(key.fingerprint)]);
    await assert.rejects(readKeySource(join(tmp.path, 'nope.asc'), await context()), (e) =>
      hasErrorCode(e, 'ERR_TRUST_KEY_NOT_FOUND') && e.message === `key file "${join(tmp.path, 'nope.asc')}" does not exist`);
  });

  it('fetches a key over https, trusting the test CA given as the CA file', async () => {
    const source = await readKeySource(`${server.origin}/keys/team.asc`, await context());
    assert.deepEqual(source.keys.map((k) => k.identities[0]), ['Discovered Signer <discovered@example.invalid>']);
  });

  it('refuses a server certificate the CA file does not vouch for, plain http, other schemes, and 404s', async () => {
    await assert.rejects(readKeySource(`${server.origin}/keys/team.asc`, await context({ ca: false })), (e) =>
      hasErrorCode(e, 'ERR_FETCH_TLS') && (e.hint ?? '').includes('--ca-file'));
    await assert.rejects(readKeySource(`http://${HOST}:1/keys/team.asc`, await context()), (e) => hasErrorCode(e, 'ERR_FETCH_INSECURE'));
    await assert.rejects(readKeySource('ftp://example.com/key.asc', await context()), (e) =>
      hasErrorCode(e, 'ERR_TRUST_KEY_URL') && e.message.includes('only https:// URLs and file paths'));
    await assert.rejects(readKeySource(`${server.origin}/keys/missing.asc`, await context()), (e) => hasErrorCode(e, 'ERR_FETCH_NOT_FOUND'));
  });

  it('walks up the name to the first level whose page has matching ac-discovery-pubkeys tags', async () => {
    server.route('/team/app', { kind: 'status', status: 404 });
    server.route('/team', { kind: 'bytes', body: page([`${HOST}/other`, 'https://wrong.invalid/key.asc']), contentType: 'text/html' });
    server.route('/', { kind: 'bytes', body: page([`${HOST}/team`, `${server.origin}/keys/team.asc`], [`${HOST}/teams`, 'https://wrong.invalid/b.asc']), contentType: 'text/html' });
    const found = await discoverPublicKeys(parseTrustPrefix(`${HOST}/team/app`), await context());
    assert.deepEqual(found, { level: HOST, page: `https://${HOST}/?ac-discovery=1`, urls: [`${server.origin}/keys/team.asc`] });
    const asked = server.requests.filter((r) => r.url.endsWith('?ac-discovery=1')).map((r) => r.url);
    assert.deepEqual(asked.slice(-3), ['/team/app?ac-discovery=1', '/team?ac-discovery=1', '/?ac-discovery=1']);
  });

  it('fails with every attempt named when no level publishes keys for the name', async () => {
    server.route('/', { kind: 'bytes', body: page([`${HOST}/team`, `${server.origin}/keys/team.asc`]), contentType: 'text/html' });
    server.route('/solo', { kind: 'status', status: 500 });
    await assert.rejects(discoverPublicKeys(parseTrustPrefix(`${HOST}/solo`), await context()), (e) =>
      hasErrorCode(e, 'ERR_TRUST_DISCOVERY')
      && e.message.startsWith(`error determining key location: prefix meta discovery error: no public keys found for "${HOST}/solo" (`)
      && e.message.includes('HTTP 500')
      && e.message.includes(`https://${HOST}/?ac-discovery=1: no ac-discovery-pubkeys tag for "${HOST}/solo"`)
      && (e.hint ?? '').includes(`rocklet trust --prefix=${HOST}/solo KEY`));
  });
});
