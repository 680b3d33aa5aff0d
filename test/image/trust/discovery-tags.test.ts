/** Parsing appc discovery <meta> tags (formats.md §1.7). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoveryPageUrl, parseDiscoveryTags, tagsFor } from '../../../src/image/index.js';

const PAGE = `<!DOCTYPE html>
<html><head>
  <meta charset="utf-8">
  <meta name="ac-discovery" content="example.com/app https://example.com/images/{name}-{version}-{os}-{arch}.{ext}">
  <META content='example.com https://example.com/pubkeys.gpg' NAME='ac-discovery-pubkeys' />
  <meta name="ac-discovery-pubkeys" content="  example.com/app   https://keys.example.com/app.asc?a=1&amp;b=2 ">
  <meta name="ac-discovery-pubkeys" content="example.com/application https://example.com/other.gpg">
  <meta name="ac-discovery-pubkeys" content="example.com/app">
  <meta name="ac-discovery-pubkeys" content="example.com/app https://x https://y">
  <meta name="description" content="example.com/app https://not-a-tag">
  <meta name=ac-discovery-pubkeys content=nospace>
</head><body>hello</body></html>`;

describe('parseDiscoveryTags', () => {
  it('reads both tag kinds in page order: any attribute order, quote style, case, whitespace and entities', () => {
    assert.deepEqual(parseDiscoveryTags(PAGE), [
      { name: 'ac-discovery', prefix: 'example.com/app', url: 'https://example.com/images/{name}-{version}-{os}-{arch}.{ext}' },
      { name: 'ac-discovery-pubkeys', prefix: 'example.com', url: 'https://example.com/pubkeys.gpg' },
      { name: 'ac-discovery-pubkeys', prefix: 'example.com/app', url: 'https://keys.example.com/app.asc?a=1&b=2' },
      { name: 'ac-discovery-pubkeys', prefix: 'example.com/application', url: 'https://example.com/other.gpg' },
    ]);
  });

  it('keeps only tags whose prefix covers the name on a / boundary', () => {
    const tags = parseDiscoveryTags(PAGE);
    assert.deepEqual(tagsFor(tags, 'ac-discovery-pubkeys', 'example.com/app').map((t) => t.url), ['https://example.com/pubkeys.gpg', 'https://keys.example.com/app.asc?a=1&b=2']);
    assert.deepEqual(tagsFor(tags, 'ac-discovery-pubkeys', 'example.com/applications').map((t) => t.url), ['https://example.com/pubkeys.gpg']);
    assert.deepEqual(tagsFor(tags, 'ac-discovery', 'example.com/app/x').map((t) => t.prefix), ['example.com/app']);
    assert.deepEqual(tagsFor(tags, 'ac-discovery', 'other.org/app'), []);
  });

  it('finds nothing in a page without discovery tags', () => {
    assert.deepEqual(parseDiscoveryTags('<html><head><title>x</title></head></html>'), []);
    assert.deepEqual(parseDiscoveryTags(''), []);
  });

  it('builds the discovery URL of a level', () => {
    assert.equal(discoveryPageUrl('example.com/app', 'https').href, 'https://example.com/app?ac-discovery=1');
    assert.equal(discoveryPageUrl('127.0.0.9', 'http').href, 'http://127.0.0.9/?ac-discovery=1');
  });
});
