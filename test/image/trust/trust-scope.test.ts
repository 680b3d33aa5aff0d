/** Trust scopes: prefix parsing, the `/`-boundary rule, and the on-disk path of a scope. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ACIdentifier } from '../../../src/image/format/aci/ac-types.js';
import { ROOT_SCOPE, parseTrustPrefix, prefixCovers, prefixesOf, scopeDir, scopeName } from '../../../src/image/trust/trust-scope.js';
import { hasErrorCode } from '../../../src/util/index.js';

describe('parseTrustPrefix', () => {
  it('accepts AC identifiers, including a bare domain and a /~user segment', () => {
    for (const prefix of ['example.com', 'example.com/app', 'example.com/~user/app_v1', '127.0.0.1/a-b']) {
      assert.equal(parseTrustPrefix(prefix), prefix);
    }
  });

  it('refuses a URL scheme with rkt\'s message', () => {
    assert.throws(() => parseTrustPrefix('https://example.com/app'), (e) => hasErrorCode(e, 'ERR_TRUST_PREFIX') && e.message === '--prefix must not contain a URL scheme, omit https://' && e.hint === 'use --prefix=example.com/app');
  });

  it('refuses what could escape the keystore or is not an identifier, naming the problem', () => {
    const cases: [string, RegExp][] = [
      ['', /must not be empty/],
      ['../etc', /must start and end with a letter or digit/],
      ['example.com/../../etc', /must start and end/],
      ['example.com//app', /must start and end/],
      ['/abs/path', /must start and end/],
      ['example.com/app/', /must start and end/],
      ['Example.com', /uppercase/],
      ['example.com/a b', /only a-z, 0-9/],
      ['example.com:8443/app', /only a-z, 0-9/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseTrustPrefix(text), (e) => hasErrorCode(e, 'ERR_TRUST_PREFIX') && message.test(e.message), text);
    }
  });
});

describe('prefix matching (rkt.md §4.2)', () => {
  it('covers the name itself and names below it on a / boundary only', () => {
    assert.equal(prefixCovers('example.com/app', 'example.com/app'), true);
    assert.equal(prefixCovers('example.com/app', 'example.com/app/x'), true);
    assert.equal(prefixCovers('example.com', 'example.com/app'), true);
    assert.equal(prefixCovers('example.com/app', 'example.com/application'), false);
    assert.equal(prefixCovers('example.com/app', 'example.com'), false);
    assert.equal(prefixCovers('example.co', 'example.com/app'), false);
  });

  it('lists the ancestors of a name, shortest first', () => {
    assert.deepEqual(prefixesOf('a.com/b/c' as ACIdentifier), ['a.com', 'a.com/b', 'a.com/b/c']);
    assert.deepEqual(prefixesOf('a.com' as ACIdentifier), ['a.com']);
  });
});

describe('scopeDir', () => {
  it('nests prefix segments under prefix.d and puts root keys in root.d', () => {
    assert.equal(scopeDir('/etc/rocklet/trustedkeys', ROOT_SCOPE), '/etc/rocklet/trustedkeys/root.d');
    assert.equal(scopeDir('/k', { kind: 'prefix', prefix: parseTrustPrefix('example.com/~u/app') }), '/k/prefix.d/example.com/~u/app');
    assert.equal(scopeName(ROOT_SCOPE), 'root');
    assert.equal(scopeName({ kind: 'prefix', prefix: parseTrustPrefix('example.com') }), 'example.com');
  });

  it('refuses a smuggled traversal even when the type system was bypassed', () => {
    assert.throws(() => scopeDir('/k', { kind: 'prefix', prefix: '../../etc' as ACIdentifier }), (e) => hasErrorCode(e, 'ERR_TRUST_PREFIX'));
  });
});
