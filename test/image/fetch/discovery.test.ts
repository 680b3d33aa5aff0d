import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Label } from '../../../src/image/index.js';
import { discoverImage, discoveryPrefixes, renderTemplate } from '../../../src/image/fetch/discovery.js';
import type { HttpContext } from '../../../src/image/fetch/http-client.js';
import { loadFetchSettings } from '../../../src/image/fetch/settings.js';
import type { InsecureFeature } from '../../../src/util/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { HttpsServer } from '../../harness/index.js';
import { startHttpsServer } from '../../harness/index.js';
import { discoveryPage, randomLoopbackHost } from './helpers.js';

const labels = (pairs: Record<string, string>): Label[] => Object.entries(pairs).map(([name, value]) => ({ name, value }) as Label);

describe('fetch/discovery: templates and prefixes', () => {
  it('walks a name up to its host', () => {
    assert.deepEqual(discoveryPrefixes('example.com/a/b'), ['example.com/a/b', 'example.com/a', 'example.com']);
    assert.deepEqual(discoveryPrefixes('example.com'), ['example.com']);
  });

  it('fills {name}, {ext} and every label, and skips templates with unknown placeholders', () => {
    const l = labels({ version: '1.0.0', os: 'linux', arch: 'amd64' });
    const template = 'https://example.com/images/{name}-{version}-{os}-{arch}.{ext}';
    assert.equal(renderTemplate(template, 'example.com/hello', l, 'aci')?.href, 'https://example.com/images/example.com/hello-1.0.0-linux-amd64.aci');
    assert.equal(renderTemplate(template, 'example.com/hello', l, 'aci.asc')?.href, 'https://example.com/images/example.com/hello-1.0.0-linux-amd64.aci.asc');
    assert.equal(renderTemplate('https://example.com/{name}-{channel}.{ext}', 'example.com/hello', l, 'aci'), undefined);
    assert.equal(renderTemplate('not a url {name}', 'x', l, 'aci'), undefined);
  });
});

describe('fetch/discovery: meta discovery over HTTPS', () => {
  let server: HttpsServer;
  let context: HttpContext;
  let name: string;
  const l = labels({ version: '2.0.0', os: 'linux', arch: 'amd64' });

  before(async () => {
    server = await startHttpsServer({ host: randomLoopbackHost(), port: 443 });
    context = { settings: await loadFetchSettings('/nonexistent', { caFile: server.caFile, stallTimeout: '2s' }), insecure: new Set() };
    name = `${server.host}/org/app`;
  });
  after(() => server.close());

  it('walks up the name until a page has a matching ac-discovery tag', async () => {
    server.route('/org?ac-discovery=1', {
      kind: 'bytes',
      contentType: 'text/html',
      body: discoveryPage([
        { name: 'ac-discovery', content: `${server.host}/other https://wrong.example/{name}.{ext}` },
        { name: 'ac-discovery', content: `${server.host}/org https://${server.host}/images/{name}-{version}-{os}-{arch}.{ext}` },
        { name: 'ac-discovery-pubkeys', content: `${server.host}/org https://${server.host}/pubkeys.gpg` },
      ]),
    });
    const found = await discoverImage(name, l, context);
    assert.equal(found.found.length, 1);
    assert.equal(found.found[0]?.aci.href, `https://${server.host}/images/${name}-2.0.0-linux-amd64.aci`);
    assert.equal(found.found[0]?.signature.href, `https://${server.host}/images/${name}-2.0.0-linux-amd64.aci.asc`);
    assert.equal(found.page.href, `https://${server.host}/org?ac-discovery=1`);
    assert.equal(server.requestsFor('/org/app?ac-discovery=1').length, 1);
  });

  it('does not take a tag for a sibling prefix ("org/ap" does not cover "org/app")', async () => {
    server.route('/org?ac-discovery=1', {
      kind: 'bytes',
      body: discoveryPage([{ name: 'ac-discovery', content: `${server.host}/org/ap https://${server.host}/{name}.{ext}` }]),
    });
    server.route(`/?ac-discovery=1`, { kind: 'status', status: 404 });
    await assert.rejects(discoverImage(name, l, context), (error) => {
      assert.ok(hasErrorCode(error, 'ERR_DISCOVERY_FAILED'));
      assert.match(error.message, /org\/app\?ac-discovery=1: HTTP 404/);
      assert.match(error.message, /no ac-discovery tag for/);
      return true;
    });
  });

  it('tries plain http only with --insecure-options=http', async () => {
    const insecure: HttpContext = { ...context, insecure: new Set<InsecureFeature>(['http']) };
    // Nothing listens on port 80 of this address: the http attempts fail, and are listed.
    await assert.rejects(discoverImage(`${server.host}/none`, l, insecure), (error) => hasErrorCode(error, 'ERR_DISCOVERY_FAILED') && error.message.includes(`http://${server.host}/none?ac-discovery=1`));
    await assert.rejects(discoverImage(`${server.host}/none`, l, context), (error) => hasErrorCode(error, 'ERR_DISCOVERY_FAILED') && !error.message.includes('http://'));
  });
});
