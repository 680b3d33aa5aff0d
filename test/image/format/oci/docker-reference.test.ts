import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familiarDockerReference, parseDockerReference } from '../../../../src/image/index.js';
import { hasErrorCode } from '../../../../src/util/index.js';

function fails(text: string, message: RegExp): void {
  assert.throws(
    () => parseDockerReference(text),
    (error: unknown) => hasErrorCode(error, 'ERR_IMAGE_REFERENCE') && message.test(error.message),
  );
}

describe('parseDockerReference', () => {
  it('normalises a bare name to docker.io/library with tag latest', () => {
    const ref = parseDockerReference('ubuntu');
    assert.deepEqual(ref, { domain: 'docker.io', path: 'library/ubuntu', tag: 'latest', canonical: 'docker.io/library/ubuntu:latest' });
  });

  it('keeps user repositories on Docker Hub without library/', () => {
    assert.equal(parseDockerReference('bitnami/redis:7.2').canonical, 'docker.io/bitnami/redis:7.2');
  });

  it('maps index.docker.io to docker.io', () => {
    assert.equal(parseDockerReference('index.docker.io/nginx').canonical, 'docker.io/library/nginx:latest');
    assert.equal(parseDockerReference('docker.io/nginx:1').canonical, 'docker.io/library/nginx:1');
  });

  it('treats a first component with a dot, a port or localhost as the registry', () => {
    assert.equal(parseDockerReference('quay.io/coreos/etcd:v3.5').domain, 'quay.io');
    assert.equal(parseDockerReference('localhost/app').domain, 'localhost');
    const withPort = parseDockerReference('localhost:5000/team/app');
    assert.equal(withPort.domain, 'localhost:5000');
    assert.equal(withPort.path, 'team/app');
    assert.equal(withPort.tag, 'latest');
    assert.equal(parseDockerReference('[::1]:5000/app:1').domain, '[::1]:5000');
  });

  it('keeps tag and digest; no default tag when a digest is given', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const pinned = parseDockerReference(`nginx@${digest}`);
    assert.equal(pinned.tag, undefined);
    assert.equal(pinned.digest, digest);
    assert.equal(pinned.canonical, `docker.io/library/nginx@${digest}`);
    const both = parseDockerReference(`nginx:1.27@${digest}`);
    assert.equal(both.tag, '1.27');
    assert.equal(both.digest, digest);
  });

  it('accepts separators inside path components', () => {
    assert.equal(parseDockerReference('team/a.b_c__d-e---f').path, 'team/a.b_c__d-e---f');
  });

  it('rejects uppercase repositories, bad digests, long tags and junk, naming the problem', () => {
    fails('Nginx', /must be lowercase/);
    fails('example.com/Team/app', /must be lowercase/);
    fails('nginx@sha256:abc', /sha256 digest must be 64 lowercase hex/);
    fails(`nginx@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/);
    fails('nginx@nonsense', /is not a digest/);
    fails(`nginx:${'t'.repeat(129)}`, /longer than 128 characters/);
    fails('nginx:-bad', /is not a valid tag/);
    fails('', /must not be empty/);
    fails('   ', /must not be empty/);
    fails('nginx latest', /whitespace/);
    fails('a//b', /is not a valid path component/);
    fails('-app', /is not a valid path component/);
    fails(':tag', /repository name is missing/);
    fails('a'.repeat(64).replace(/a/g, 'f'), /image ID, not a reference/);
    fails(`example.com/${'a'.repeat(250)}`, /longer than 255 characters/);
    fails('exa_mple.com/app', /not a valid registry host/);
    fails('example.com:port/app', /not a valid registry port/);
  });

  it('prints the familiar short form', () => {
    assert.equal(familiarDockerReference(parseDockerReference('nginx')), 'nginx:latest');
    assert.equal(familiarDockerReference(parseDockerReference('bitnami/redis:7')), 'bitnami/redis:7');
    assert.equal(familiarDockerReference(parseDockerReference('quay.io/a/b:1')), 'quay.io/a/b:1');
  });
});
