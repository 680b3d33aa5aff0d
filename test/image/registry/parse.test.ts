import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLimited } from '../../../src/image/registry/concurrency.js';
import type { ImageIndex } from '../../../src/image/registry/index.js';
import { parseDockerReference } from '../../../src/image/index.js';
import {
  pullTarget, credentialKey, digestOf, hostPlatform, mediaTypes, parseAuthFile, parseChallenges, parseImageConfig, parseManifest, parsePlatform, selectPlatform,
} from '../../../src/image/registry/index.js';
import { hasErrorCode } from '../../../src/util/index.js';

const D1 = digestOf(Buffer.from('one'));
const D2 = digestOf(Buffer.from('two'));
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const code = (expected: string) => (error: unknown): boolean => {
  assert.ok(hasErrorCode(error, expected), String(error));
  return true;
};

describe('registry: WWW-Authenticate challenges', () => {
  it('parses Bearer parameters, quoted values with commas, and several challenges in one header', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' } },
    ]);
    assert.deepEqual(parseChallenges(['basic Realm="x \\"y\\""', 'Bearer realm=https://t, Basic realm=z']), [
      { scheme: 'basic', params: { realm: 'x "y"' } },
      { scheme: 'bearer', params: { realm: 'https://t' } },
      { scheme: 'basic', params: { realm: 'z' } },
    ]);
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe('registry: auth.json', () => {
  it('reads auth and username/password entries, keyed by host', () => {
    const store = parseAuthFile(JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:pa:ss').toString('base64') },
        'Registry.Example.com:5000': { username: 'u', password: 'p' },
        'tokens.example.com': { identitytoken: 'x' },
      },
    }), '/etc/rocklet/auth.json');
    assert.deepEqual(store.get('docker.io'), { username: 'hub', password: 'pa:ss' });
    assert.deepEqual(store.get('registry.example.com:5000'), { username: 'u', password: 'p' });
    assert.equal(store.has('tokens.example.com'), false);
    assert.equal(credentialKey('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  });

  it('names the file and the key in every error', () => {
    const file = '/etc/rocklet/auth.json';
    for (const [text, pattern] of [
      ['{', /auth\.json: not valid JSON/],
      ['[]', /auth\.json: must be a JSON object/],
      ['{"auths":[]}', /auth\.json: auths must be an object/],
      ['{"auths":{"r.example":{"auth":"bm9jb2xvbg=="}}}', /auths\["r\.example"\]\.auth is not the base64 encoding of "user:password"/],
      ['{"auths":{"r.example":{"username":"u"}}}', /auths\["r\.example"\] needs both "username" and "password"/],
    ] as const) {
      assert.throws(() => parseAuthFile(text, file), (error: unknown) => {
        assert.ok(hasErrorCode(error, 'ERR_REGISTRY_AUTH_FILE'));
        assert.ok(error.message.startsWith(file), error.message);
        assert.match(error.message, pattern);
        return true;
      });
    }
  });
});

describe('registry: manifests', () => {
  const image = { schemaVersion: 2, config: { mediaType: mediaTypes.OCI_CONFIG, digest: D1, size: 3 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D2, size: 3 }] };

  it('decides the type from Content-Type, then mediaType, then the shape', () => {
    const fromHeader = parseManifest(json({ ...image, mediaType: mediaTypes.DOCKER_MANIFEST }), `${mediaTypes.DOCKER_MANIFEST}; charset=utf-8`, 'x');
    assert.equal(fromHeader.kind === 'image' && fromHeader.format, 'docker');
    const fromShape = parseManifest(json(image), 'application/json', 'x');
    assert.equal(fromShape.mediaType, mediaTypes.OCI_MANIFEST);
    const index = parseManifest(json({ schemaVersion: 2, manifests: [{ mediaType: mediaTypes.OCI_MANIFEST, digest: D1, size: 1, platform: { os: 'linux', architecture: 'amd64' } }] }), undefined, 'x');
    assert.equal(index.kind, 'index');
  });

  it('refuses schema 1, unknown types and malformed descriptors, naming the field', () => {
    assert.throws(() => parseManifest(json({ schemaVersion: 1, fsLayers: [] }), 'application/json', 'x'), code('ERR_REGISTRY_SCHEMA1'));
    assert.throws(() => parseManifest(json(image), mediaTypes.DOCKER_SCHEMA1, 'x'), code('ERR_REGISTRY_SCHEMA1'));
    assert.throws(() => parseManifest(json({ schemaVersion: 2, mediaType: 'application/vnd.example+json' }), undefined, 'x'), code('ERR_REGISTRY_MANIFEST_INVALID'));
    assert.throws(() => parseManifest(json({ ...image, layers: [{ mediaType: 'l', digest: D2, size: -1 }] }), undefined, 'x'), /layers\[0\]\.size/);
    assert.throws(() => parseManifest(json({ ...image, layers: [{ mediaType: 'l', digest: 'md5:abc', size: 1 }] }), undefined, 'x'), code('ERR_REGISTRY_DIGEST_INVALID'));
    assert.throws(() => parseManifest(Buffer.from('not json'), undefined, 'x'), code('ERR_REGISTRY_MANIFEST_INVALID'));
  });
});

describe('registry: platforms', () => {
  const entry = (digest: string, platform: Record<string, string> | undefined, mediaType: string = mediaTypes.OCI_MANIFEST) => ({
    mediaType, digest: digestOf(Buffer.from(digest)), size: 1, ...(platform === undefined ? {} : { platform: { os: platform.os ?? 'linux', architecture: platform.architecture ?? '', ...(platform.variant === undefined ? {} : { variant: platform.variant }) } }),
  });
  const index: ImageIndex = {
    kind: 'index', format: 'oci', mediaType: mediaTypes.OCI_INDEX,
    manifests: [
      entry('attestation', { os: 'unknown', architecture: 'unknown' }),
      entry('artifact', { architecture: 'arm64' }, 'application/vnd.example.sbom'),
      entry('armv6', { architecture: 'arm', variant: 'v6' }),
      entry('armv7', { architecture: 'arm' }),
      entry('arm64', { architecture: 'arm64' }),
      entry('amd64', { architecture: 'amd64' }),
    ],
  };

  it('maps Node architectures to Go platform names', () => {
    assert.deepEqual(hostPlatform('x64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(hostPlatform('arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.throws(() => hostPlatform('pdp11'), code('ERR_REGISTRY_PLATFORM'));
    assert.throws(() => parsePlatform('linux'), code('ERR_REGISTRY_PLATFORM'));
  });

  it('picks the matching entry with Go variant defaults, skipping attestations and unknown types', () => {
    assert.equal(selectPlatform(index, hostPlatform('arm64'), 'i').digest, digestOf(Buffer.from('arm64')));
    assert.equal(selectPlatform(index, parsePlatform('linux/arm/v7'), 'i').digest, digestOf(Buffer.from('armv7')));
    assert.equal(selectPlatform(index, parsePlatform('linux/arm/v6'), 'i').digest, digestOf(Buffer.from('armv6')));
    assert.equal(selectPlatform(index, hostPlatform('x64'), 'i').digest, digestOf(Buffer.from('amd64')));
    assert.throws(() => selectPlatform(index, parsePlatform('linux/riscv64'), 'idx'), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_REGISTRY_NO_MATCHING_PLATFORM'));
      assert.equal(error.message, 'idx has no image for linux/riscv64; it has: linux/arm/v6, linux/arm, linux/arm64, linux/amd64');
      return true;
    });
  });
});

describe('registry: image config', () => {
  it('decodes the fields a run needs; null is absent', () => {
    const config = parseImageConfig(json({
      architecture: 'arm64', os: 'linux', variant: 'v8', extra: 1,
      config: { Entrypoint: ['/bin/tini', '--'], Cmd: null, Env: ['A=1'], WorkingDir: '/srv', User: 'app:app', ExposedPorts: { '80/tcp': {}, '53/udp': {} }, Volumes: { '/data': {} }, Labels: null },
      rootfs: { type: 'layers', diff_ids: [D1, D2] },
    }), 'cfg');
    assert.deepEqual(config, {
      os: 'linux', architecture: 'arm64', variant: 'v8',
      config: { entrypoint: ['/bin/tini', '--'], env: ['A=1'], workingDir: '/srv', user: 'app:app', exposedPorts: ['80/tcp', '53/udp'], volumes: ['/data'] },
      diffIds: [D1, D2],
    });
  });

  it('names the bad field', () => {
    const base = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };
    assert.throws(() => parseImageConfig(json({ ...base, config: { Cmd: 'sh' } }), 'cfg'), /cfg: config\.Cmd must be a list of strings/);
    assert.throws(() => parseImageConfig(json({ ...base, rootfs: { type: 'tarball' } }), 'cfg'), /rootfs\.type must be "layers"/);
    assert.throws(() => parseImageConfig(json({ ...base, os: undefined }), 'cfg'), code('ERR_REGISTRY_CONFIG_INVALID'));
  });
});

describe('registry: pull targets', () => {
  it('takes registry and repository from a reference; a digest wins over the tag', () => {
    assert.deepEqual(pullTarget(parseDockerReference('nginx')), { registry: 'docker.io', repository: 'library/nginx', reference: 'latest' });
    assert.deepEqual(pullTarget(parseDockerReference(`localhost:5000/team/app:1@${D1}`)), { registry: 'localhost:5000', repository: 'team/app', reference: D1 });
  });
});

describe('registry: runLimited', () => {
  it('keeps at most `limit` jobs running and returns results in order', async () => {
    let running = 0;
    let most = 0;
    const results = await runLimited([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30]);
    assert.equal(most, 2);
  });

  it('aborts the running jobs at the first failure and rejects with it after they settle', async () => {
    const aborted: number[] = [];
    await assert.rejects(runLimited([1, 2, 3, 4], 3, async (n, signal) => {
      if (n === 2) throw new Error('boom');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          aborted.push(n);
          resolve();
        });
      });
      return n;
    }), /boom/);
    assert.deepEqual(aborted.sort(), [1, 3]);
  });
});
