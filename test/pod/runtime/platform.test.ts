import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageRecord } from '../../../src/image/index.js';
import { appcManifestFor } from '../../../src/image/format/oci/index.js';
import { hostArch, parseImageManifest } from '../../../src/image/index.js';
import { checkRunnablePlatform, imageIdentity } from '../../../src/pod/runtime/plan-common.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { image } from './plan-fixtures.js';

function withLabels(labels: { name: string; value: string }[]): ImageRecord {
  const { record } = image('example.com/app', { exec: ['/bin/true'] });
  return { ...record, labels: labels as unknown as ImageRecord['labels'] };
}

describe('platform check before a pod runs (every image, ACI too)', () => {
  it('accepts the host\'s os/arch and images without the labels; refuses others, naming both', () => {
    const host = hostArch() ?? 'amd64';
    const other = host === 'amd64' ? 'aarch64' : 'amd64';
    checkRunnablePlatform(withLabels([{ name: 'os', value: 'linux' }, { name: 'arch', value: host }]));
    checkRunnablePlatform(withLabels([]));
    assert.throws(() => checkRunnablePlatform(withLabels([{ name: 'os', value: 'linux' }, { name: 'arch', value: other }])),
      (error: unknown) => hasErrorCode(error, 'ERR_IMAGE_PLATFORM') && error.message.includes(`is built for linux/${other}, but this host is linux/${host}`));
    assert.throws(() => checkRunnablePlatform(withLabels([{ name: 'os', value: 'freebsd' }, { name: 'arch', value: host }])),
      (error: unknown) => hasErrorCode(error, 'ERR_IMAGE_PLATFORM') && error.message.includes(`freebsd/${host}`));
  });
});

describe('user and group of an OCI image', () => {
  const ociRecord = (user: string | undefined): ImageRecord => {
    const raw = appcManifestFor({ domain: 'docker.io', path: 'library/x', tag: '1', manifestDigest: `sha256:${'c'.repeat(64)}` }, { os: 'linux', architecture: 'amd64', ...(user === undefined ? {} : { user }) });
    const manifest = parseImageManifest(JSON.stringify(raw));
    const { record } = image('example.com/app', { exec: ['/bin/true'] });
    return { ...record, manifest, oci: { transport: 'docker', references: [], manifestDigest: '', manifestMediaType: '', configDigest: '', platform: 'linux/amd64', layers: [], verification: '' } };
  };

  it('leaves the group to the user\'s passwd entry when Docker\'s User names none; appc images keep theirs', () => {
    assert.deepEqual(imageIdentity(ociRecord('nobody')), { user: 'nobody' });
    assert.deepEqual(imageIdentity(ociRecord('1000:50')), { user: '1000', group: '50' });
    assert.deepEqual(imageIdentity(ociRecord(undefined)), { user: '0', group: '0' });
    assert.deepEqual(imageIdentity(image('example.com/app', { exec: ['/bin/true'], user: 'www', group: 'web' }).record), { user: 'www', group: 'web' });
  });
});
