import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePolicy } from '../../../src/image/policy/index.js';
import { isRockletError } from '../../../src/util/index.js';

const FILE = '/etc/rocklet/policy.json';

function parseError(policy: unknown): { code: string; message: string; exitCode: number } {
  const text = typeof policy === 'string' ? policy : JSON.stringify(policy);
  try {
    parsePolicy(text, FILE);
  } catch (error) {
    assert.ok(isRockletError(error), `not a RockletError: ${String(error)}`);
    return { code: error.code, message: error.message, exitCode: error.exitCode };
  }
  assert.fail(`parsed without error: ${text}`);
}

const reject = [{ type: 'reject' }];

describe('policy.json parser', () => {
  it('parses every supported requirement and identity rule into typed values', () => {
    const policy = parsePolicy(JSON.stringify({
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          'quay.io/team/app': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/keys/a.gpg', signedIdentity: { type: 'matchRepository' } }],
          'quay.io/team': [{ type: 'sigstoreSigned', keyPaths: ['/k/1.pub', '/k/2.pub'] }],
          'mirror.example.com': [{ type: 'signedBy', keyType: 'GPGKeys', keyData: Buffer.from('key').toString('base64'), signedIdentity: { type: 'remapIdentity', prefix: 'mirror.example.com', signedPrefix: 'quay.io' } }],
          'docker.io/library/busybox:1.36': [{ type: 'insecureAcceptAnything' }],
          '*.example.org': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'exactReference', dockerReference: 'docker.io/library/busybox:1' } }],
          'localhost:5000': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'exactRepository', dockerRepository: 'docker.io/library/busybox' } }],
          '': [{ type: 'insecureAcceptAnything' }],
        },
        'docker-daemon': { '': [{ type: 'insecureAcceptAnything' }] },
        oci: { '/srv/images': [{ type: 'insecureAcceptAnything' }] },
      },
    }), FILE);
    assert.equal(policy.file, FILE);
    assert.deepEqual(policy.default, { scope: '', at: 'default', requirements: [{ type: 'reject', at: 'default[0]' }] });
    const docker = policy.transports.get('docker') ?? [];
    assert.deepEqual(docker.map((s) => [s.scope, s.at]), [
      ['quay.io/team/app', 'transports.docker["quay.io/team/app"]'],
      ['quay.io/team', 'transports.docker["quay.io/team"]'],
      ['mirror.example.com', 'transports.docker["mirror.example.com"]'],
      ['docker.io/library/busybox:1.36', 'transports.docker["docker.io/library/busybox:1.36"]'],
      ['*.example.org', 'transports.docker["*.example.org"]'],
      ['localhost:5000', 'transports.docker["localhost:5000"]'],
      ['', 'transports.docker[""]'],
    ]);
    assert.deepEqual(docker[0]?.requirements[0], {
      type: 'signedBy', at: 'transports.docker["quay.io/team/app"][0]',
      keys: [{ source: 'path', path: '/etc/keys/a.gpg', at: 'transports.docker["quay.io/team/app"][0].keyPath' }],
      signedIdentity: { type: 'matchRepository' },
    });
    const sigstore = docker[1]?.requirements[0];
    assert.equal(sigstore?.type, 'sigstoreSigned');
    assert.deepEqual(sigstore.type === 'sigstoreSigned' ? sigstore.keys.map((k) => k.at) : [], [
      'transports.docker["quay.io/team"][0].keyPaths[0]', 'transports.docker["quay.io/team"][0].keyPaths[1]',
    ]);
    assert.deepEqual(sigstore.type === 'sigstoreSigned' ? sigstore.signedIdentity : undefined, { type: 'matchRepoDigestOrExact' });
    const remap = docker[2]?.requirements[0];
    assert.ok(remap?.type === 'signedBy');
    assert.deepEqual(remap.keys, [{ source: 'data', data: Buffer.from('key'), at: 'transports.docker["mirror.example.com"][0].keyData' }]);
    assert.deepEqual(remap.signedIdentity, { type: 'remapIdentity', prefix: 'mirror.example.com', signedPrefix: 'quay.io' });
    const exact = docker[4]?.requirements[0];
    assert.ok(exact?.type === 'signedBy' && exact.signedIdentity.type === 'exactReference');
    assert.equal(exact.signedIdentity.dockerReference.canonical, 'docker.io/library/busybox:1');
    const repository = docker[5]?.requirements[0];
    assert.deepEqual(repository?.type === 'signedBy' ? repository.signedIdentity : undefined, { type: 'exactRepository', dockerRepository: 'docker.io/library/busybox' });
    assert.equal(policy.transports.get('oci')?.[0]?.scope, '/srv/images');
  });

  // Each bad input: the error names the file and the JSON path of the offending value.
  const cases: { name: string; policy: unknown; code?: string; message: string }[] = [
    { name: 'not JSON', policy: '{"default": [', message: `${FILE}: not valid JSON` },
    { name: 'not an object', policy: '[]', message: `${FILE}: must be an object, not a list` },
    { name: 'no default', policy: { transports: {} }, message: `${FILE}: "default" is missing` },
    { name: 'unknown top-level key', policy: { default: reject, defaults: [] }, message: `${FILE}: defaults: unknown key` },
    { name: 'empty requirement list', policy: { default: [] }, message: `${FILE}: default: the list of requirements must not be empty` },
    { name: 'requirement list not a list', policy: { default: { type: 'reject' } }, message: `${FILE}: default: must be a list of requirements, not an object` },
    { name: 'requirement without type', policy: { default: [{}] }, message: `${FILE}: default[0]: "type" is missing` },
    { name: 'unknown requirement type', policy: { default: [{ type: 'acceptAll' }] }, message: `${FILE}: default[0].type: unknown requirement type "acceptAll"` },
    { name: 'unknown key in a requirement', policy: { default: [{ type: 'reject', keyPath: '/k' }] }, message: `${FILE}: default[0].keyPath: unknown key` },
    { name: 'unknown transport', policy: { default: reject, transports: { podman: {} } }, message: `${FILE}: transports.podman: unknown transport "podman"` },
    { name: 'transport not an object', policy: { default: reject, transports: { docker: [] } }, message: `${FILE}: transports.docker: must be an object, not a list` },
    { name: 'scope not fully qualified', policy: { default: reject, transports: { docker: { 'library/busybox': reject } } }, message: `${FILE}: transports.docker["library/busybox"]: invalid scope: "library/busybox" is not a fully qualified name; write "docker.io/library/busybox"` },
    { name: 'uppercase scope', policy: { default: reject, transports: { docker: { 'quay.io/Team': reject } } }, message: `${FILE}: transports.docker["quay.io/Team"]: invalid scope: invalid image reference "quay.io/Team": the repository name must be lowercase` },
    { name: 'bad wildcard', policy: { default: reject, transports: { docker: { 'quay.*.io': reject } } }, message: `${FILE}: transports.docker["quay.*.io"]: invalid scope: "quay.*.io": a wildcard is only allowed as the first label` },
    { name: 'wildcard with port', policy: { default: reject, transports: { docker: { '*.example.com:5000': reject } } }, message: `${FILE}: transports.docker["*.example.com:5000"]: invalid scope: "*.example.com:5000" is not a wildcard domain` },
    { name: 'bad host', policy: { default: reject, transports: { docker: { 'bad_host!': reject } } }, message: `${FILE}: transports.docker["bad_host!"]: invalid scope: "bad_host!" is not a registry host[:port]` },
    { name: 'relative oci scope', policy: { default: reject, transports: { oci: { 'images/x': reject } } }, message: `${FILE}: transports.oci["images/x"]: invalid scope: "images/x" must be an absolute path` },
    { name: 'signedBy without keyType', policy: { default: [{ type: 'signedBy', keyPath: '/k' }] }, message: `${FILE}: default[0]: "keyType" is missing` },
    { name: 'signedBy with an unknown keyType', policy: { default: [{ type: 'signedBy', keyType: 'PGP', keyPath: '/k' }] }, message: `${FILE}: default[0].keyType: unknown key type "PGP"` },
    { name: 'signedBy with X509', policy: { default: [{ type: 'signedBy', keyType: 'X509Certificates', keyPath: '/k' }] }, code: 'ERR_POLICY_UNSUPPORTED', message: `${FILE}: default[0].keyType: "X509Certificates" is not supported` },
    { name: 'signedBy without a key', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys' }] }, message: `${FILE}: default[0]: needs one of "keyPath", "keyPaths" or "keyData"` },
    { name: 'signedBy with two key sources', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', keyData: 'aGk=' }] }, message: `${FILE}: default[0]: give only one of "keyPath", "keyPaths" and "keyData"` },
    { name: 'relative keyPath', policy: { default: reject, transports: { docker: { 'quay.io/x': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: 'key.gpg' }] } } }, message: `${FILE}: transports.docker["quay.io/x"][0].keyPath: "key.gpg" must be an absolute path` },
    { name: 'keyPath not a string', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: 3 }] }, message: `${FILE}: default[0].keyPath: must be a string, not the number 3` },
    { name: 'empty keyPaths', policy: { default: [{ type: 'sigstoreSigned', keyPaths: [] }] }, message: `${FILE}: default[0].keyPaths: must be a non-empty list of paths` },
    { name: 'keyPaths entry not a string', policy: { default: [{ type: 'sigstoreSigned', keyPaths: ['/a', null] }] }, message: `${FILE}: default[0].keyPaths[1]: must be a string, not null` },
    { name: 'keyData not base64', policy: { default: [{ type: 'sigstoreSigned', keyData: '-----BEGIN PUBLIC KEY-----' }] }, message: `${FILE}: default[0].keyData: must be base64-encoded key data` },
    { name: 'sigstoreSigned with fulcio', policy: { default: [{ type: 'sigstoreSigned', fulcio: { caPath: '/ca' }, keyPath: '/k' }] }, code: 'ERR_POLICY_UNSUPPORTED', message: `${FILE}: default[0].fulcio: sigstoreSigned with "fulcio" is not supported` },
    { name: 'sigstoreSigned with rekor', policy: { default: [{ type: 'sigstoreSigned', keyPath: '/k', rekorPublicKeyPath: '/r' }] }, code: 'ERR_POLICY_UNSUPPORTED', message: `${FILE}: default[0].rekorPublicKeyPath: sigstoreSigned with "rekorPublicKeyPath" is not supported` },
    { name: 'signedBaseLayer', policy: { default: [{ type: 'signedBaseLayer' }] }, code: 'ERR_POLICY_UNSUPPORTED', message: `${FILE}: default[0].type: "signedBaseLayer" is not supported` },
    { name: 'unknown identity rule', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'matchAnything' } }] }, message: `${FILE}: default[0].signedIdentity.type: unknown identity rule "matchAnything"` },
    { name: 'identity not an object', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: 'matchExact' }] }, message: `${FILE}: default[0].signedIdentity: must be an object, not the string "matchExact"` },
    { name: 'exactReference without tag', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'exactReference', dockerReference: 'quay.io/x' } }] }, message: `${FILE}: default[0].signedIdentity.dockerReference: "quay.io/x" must be a fully qualified reference with a tag or digest` },
    { name: 'exactRepository with tag', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'exactRepository', dockerRepository: 'quay.io/x:1' } }] }, message: `${FILE}: default[0].signedIdentity.dockerRepository: "quay.io/x:1" must be a fully qualified repository without tag or digest` },
    { name: 'remapIdentity without signedPrefix', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'remapIdentity', prefix: 'quay.io' } }] }, message: `${FILE}: default[0].signedIdentity: "signedPrefix" is missing` },
    { name: 'remapIdentity with a tagged prefix', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'remapIdentity', prefix: 'quay.io/x:1', signedPrefix: 'quay.io' } }] }, message: `${FILE}: default[0].signedIdentity.prefix: "quay.io/x:1" must not have a tag or digest` },
    { name: 'unknown key in an identity', policy: { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'matchExact', prefix: 'x' } }] }, message: `${FILE}: default[0].signedIdentity.prefix: unknown key` },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, naming the file and the key`, () => {
      const error = parseError(c.policy);
      assert.equal(error.code, c.code ?? 'ERR_POLICY_INVALID');
      assert.equal(error.exitCode, 254);
      assert.ok(error.message.startsWith(c.message), `message: ${error.message}\nexpected to start with: ${c.message}`);
    });
  }
});
