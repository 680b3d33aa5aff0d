import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDockerReference } from '../../../src/image/index.js';
import type { IdentityRule } from '../../../src/image/policy/index.js';
import { dockerScopeProblem, dockerScopesOf, identityMatches, parsePolicy, requirementsFor } from '../../../src/image/policy/index.js';

const ref = parseDockerReference;
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;

describe('docker scopes', () => {
  it('lists the scopes of a reference most specific first, wildcards without the port last', () => {
    assert.deepEqual(dockerScopesOf(ref('registry.example.com:5000/team/app:1')), [
      'registry.example.com:5000/team/app:1', 'registry.example.com:5000/team/app', 'registry.example.com:5000/team',
      'registry.example.com:5000', '*.example.com', '*.com',
    ]);
    assert.deepEqual(dockerScopesOf(ref(`busybox@${DIGEST}`)), [
      `docker.io/library/busybox@${DIGEST}`, 'docker.io/library/busybox', 'docker.io/library', 'docker.io', '*.io',
    ]);
    assert.deepEqual(dockerScopesOf(ref('localhost:5000/x')), ['localhost:5000/x:latest', 'localhost:5000/x', 'localhost:5000']);
    // With both, the digest pins the image: it is the identity.
    assert.equal(dockerScopesOf(ref(`quay.io/x:1@${DIGEST}`))[0], `quay.io/x@${DIGEST}`);
  });

  const valid = ['', 'quay.io', 'localhost:5000', '127.0.0.1:5000', 'quay.io/team', 'quay.io/team/app', 'quay.io/team/app:1', `quay.io/team/app@${DIGEST}`, '*.example.com', 'docker.io/library/busybox', 'docker.io/library', 'docker.io/someone'];
  for (const scope of valid) it(`accepts the scope "${scope}"`, () => assert.equal(dockerScopeProblem(scope), undefined));
  const invalid: [string, RegExp][] = [
    ['busybox/x', /not a fully qualified name; write "docker.io\/busybox\/x"/],
    ['index.docker.io/library/x', /write "docker.io\/library\/x"/],
    ['quay.io/x:1@sha256:' + 'a'.repeat(64), /both a tag and a digest/],
    ['Quay.io/Team', /lowercase/],
    ['*.example.com:80', /not a wildcard domain/],
    ['*example.com', /only allowed as the first label/],
    ['host:port', /not a registry host/],
  ];
  for (const [scope, pattern] of invalid) it(`refuses the scope "${scope}"`, () => assert.match(dockerScopeProblem(scope) ?? '', pattern));

  it('picks the most specific scope the policy names, then the transport default, then default', () => {
    const r = (n: number): unknown[] => [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: `/k${n}` }];
    const policy = parsePolicy(JSON.stringify({
      default: [{ type: 'reject' }],
      transports: { docker: { 'quay.io': r(1), 'quay.io/team': r(2), 'quay.io/team/app:1': r(3), '*.example.com': r(4) } },
    }), 'policy.json');
    const scopeOf = (text: string): string => requirementsFor(policy, { transport: 'docker', reference: ref(text), manifestDigest: DIGEST }).at;
    assert.equal(scopeOf('quay.io/team/app:1'), 'transports.docker["quay.io/team/app:1"]');
    assert.equal(scopeOf('quay.io/team/app:2'), 'transports.docker["quay.io/team"]');
    assert.equal(scopeOf('quay.io/teams/app'), 'transports.docker["quay.io"]');
    assert.equal(scopeOf('a.b.example.com/x'), 'transports.docker["*.example.com"]');
    assert.equal(scopeOf('example.com/x'), 'default');
    assert.equal(scopeOf('docker.io/library/busybox'), 'default');
    const withDefault = parsePolicy(JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { '': [{ type: 'insecureAcceptAnything' }] } } }), 'p');
    assert.equal(requirementsFor(withDefault, { transport: 'docker', reference: ref('x.io/y'), manifestDigest: DIGEST }).at, 'transports.docker[""]');
    assert.equal(requirementsFor(withDefault, { transport: 'oci', reference: '/srv/x:1', manifestDigest: DIGEST }).at, 'default');
  });
});

describe('signedIdentity rules', () => {
  const rules: Record<string, IdentityRule> = {
    default: { type: 'matchRepoDigestOrExact' },
    repository: { type: 'matchRepository' },
    exact: { type: 'matchExact' },
    exactReference: { type: 'exactReference', dockerReference: ref('quay.io/signed/app:1') },
    exactRepository: { type: 'exactRepository', dockerRepository: 'quay.io/signed/app' },
    remap: { type: 'remapIdentity', prefix: 'mirror.local:5000/quay', signedPrefix: 'quay.io' },
  };
  // [rule, pulled image, signed identity, accepted?]
  const table: [string, string, string, boolean][] = [
    ['default', 'quay.io/team/app:1', 'quay.io/team/app:1', true],
    ['default', 'quay.io/team/app:1', 'quay.io/team/app:2', false],
    ['default', 'quay.io/team/app:1', 'quay.io/other/app:1', false],
    ['default', `quay.io/team/app@${DIGEST}`, 'quay.io/team/app:7', true],
    ['default', `quay.io/team/app@${DIGEST}`, 'quay.io/team/other:7', false],
    ['default', 'quay.io/team/app:1', `quay.io/team/app@${DIGEST}`, false],
    ['repository', 'quay.io/team/app:1', 'quay.io/team/app:2', true],
    ['repository', 'quay.io/team/app:1', 'quay.io/team/app2:1', false],
    ['exact', 'quay.io/team/app:1', 'quay.io/team/app:1', true],
    ['exact', `quay.io/team/app@${DIGEST}`, `quay.io/team/app@${DIGEST}`, true],
    ['exact', `quay.io/team/app@${DIGEST}`, `quay.io/team/app@${OTHER_DIGEST}`, false],
    ['exact', `quay.io/team/app@${DIGEST}`, 'quay.io/team/app:1', false],
    ['exactReference', 'mirror.local/x:9', 'quay.io/signed/app:1', true],
    ['exactReference', 'mirror.local/x:9', 'quay.io/signed/app:2', false],
    ['exactRepository', 'mirror.local/x:9', 'quay.io/signed/app:3', true],
    ['exactRepository', 'mirror.local/x:9', 'quay.io/signed/other:3', false],
    ['remap', 'mirror.local:5000/quay/team/app:1', 'quay.io/team/app:1', true],
    ['remap', 'mirror.local:5000/quay/team/app:1', 'mirror.local:5000/quay/team/app:1', false],
    ['remap', 'mirror.local:5000/quay/team/app:1', 'quay.io/team/app:2', false],
    ['remap', `mirror.local:5000/quay/team/app@${DIGEST}`, 'quay.io/team/app:2', true],
    // Not under the prefix (on a "/" boundary): checked as matchRepoDigestOrExact.
    ['remap', 'mirror.local:5000/quayx/app:1', 'quay.io/x/app:1', false],
    ['remap', 'mirror.local:5000/quayx/app:1', 'mirror.local:5000/quayx/app:1', true],
  ];
  for (const [rule, image, signed, accepted] of table) {
    it(`${rule}: ${image} signed as ${signed} is ${accepted ? 'accepted' : 'refused'}`, () => {
      assert.equal(identityMatches(rules[rule] ?? { type: 'matchExact' }, ref(image), ref(signed)), accepted);
    });
  }
});
