import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { classifyImage, parseDockerReference } from '../../../src/image/index.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';

describe('fetch/image-source', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('image-source');
    await writeFile(path.join(tmp.path, 'plain-name'), 'x');
  });
  after(() => tmp.remove());

  it('tells IDs, URLs, files and names apart', () => {
    assert.deepEqual(classifyImage('sha512-abcd', tmp.path), { kind: 'id', text: 'sha512-abcd' });
    assert.equal(classifyImage('https://example.com/a.aci', tmp.path).kind, 'url');
    assert.equal(classifyImage('http://example.com/a.aci', tmp.path).kind, 'url');
    assert.deepEqual(classifyImage('file:///srv/a.aci', tmp.path), { kind: 'file', path: '/srv/a.aci' });
    assert.deepEqual(classifyImage('/srv/a.aci', tmp.path), { kind: 'file', path: '/srv/a.aci' });
    assert.deepEqual(classifyImage('./a', tmp.path), { kind: 'file', path: path.join(tmp.path, 'a') });
    assert.deepEqual(classifyImage('b.aci', tmp.path), { kind: 'file', path: path.join(tmp.path, 'b.aci') });
    assert.deepEqual(classifyImage('plain-name', tmp.path), { kind: 'file', path: path.join(tmp.path, 'plain-name') });
    const named = classifyImage('example.com/app:1.0,os=linux', tmp.path);
    assert.equal(named.kind, 'name');
    assert.deepEqual(named.kind === 'name' ? named.app : undefined, {
      name: 'example.com/app',
      labels: [{ name: 'version', value: '1.0' }, { name: 'os', value: 'linux' }],
    });
  });

  it('refuses unsupported schemes and malformed names', () => {
    assert.throws(() => classifyImage('ftp://busybox', tmp.path), (error) => hasErrorCode(error, 'ERR_FETCH_UNSUPPORTED_SCHEME') && error.message.includes('ftp://'));
    assert.deepEqual(classifyImage('docker://busybox', tmp.path), { kind: 'docker', reference: parseDockerReference('busybox') });
    assert.throws(() => classifyImage('docker://Bad Name', tmp.path), (error) => hasErrorCode(error, 'ERR_IMAGE_REFERENCE'));
    assert.throws(() => classifyImage('Example.com/App', tmp.path), (error) => hasErrorCode(error, 'ERR_INVALID_IMAGE_NAME'));
    assert.throws(() => classifyImage('', tmp.path), (error) => hasErrorCode(error, 'ERR_INVALID_IMAGE_NAME'));
  });
});
