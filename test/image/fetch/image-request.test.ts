import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostArch, parseAppString } from '../../../src/image/index.js';
import type { Label } from '../../../src/image/index.js';
import { checkRequest, describeRequest, imageRequest, requestMismatch, templateLabels } from '../../../src/image/fetch/image-request.js';
import { hasErrorCode } from '../../../src/util/index.js';

const labels = (pairs: Record<string, string>): Label[] => Object.entries(pairs).map(([name, value]) => ({ name, value }) as Label);
const arch = hostArch() ?? 'amd64';

describe('fetch/image-request', () => {
  it('adds os=linux and the host arch as defaults, and version=latest for templates only', () => {
    const request = imageRequest(parseAppString('example.com/app'));
    assert.deepEqual(request.labels, []);
    assert.deepEqual(request.defaults, labels({ os: 'linux', arch }));
    assert.deepEqual(templateLabels(request), labels({ os: 'linux', arch, version: 'latest' }));
    assert.equal(describeRequest(imageRequest(parseAppString('example.com/app:1.0,arch=aarch64'))), 'example.com/app:1.0,arch=aarch64,os=linux');
  });

  it('matches names and labels, with a clear reason when they differ', () => {
    const request = imageRequest(parseAppString('example.com/app:1.0,channel=beta'));
    const good = labels({ version: '1.0', channel: 'beta', os: 'linux', arch });
    assert.equal(requestMismatch(request, 'example.com/app', good), undefined);
    assert.equal(requestMismatch(request, 'example.com/app', labels({ version: '1.0', channel: 'beta' })), undefined, 'a missing default label is fine');
    assert.match(requestMismatch(request, 'example.com/other', good) ?? '', /name is "example.com\/other"/);
    assert.match(requestMismatch(request, 'example.com/app', labels({ version: '1.0' })) ?? '', /requested label "channel" is not provided/);
    assert.match(requestMismatch(request, 'example.com/app', labels({ version: '2.0', channel: 'beta' })) ?? '', /"version" \("1.0"\) differs from the image's "2.0"/);
    assert.match(requestMismatch(request, 'example.com/app', labels({ version: '1.0', channel: 'beta', arch: 's390x' })) ?? '', /label "arch" of the image is "s390x"/);
    assert.throws(() => checkRequest(request, 'example.com/app', labels({ version: '2.0', channel: 'beta' }), 'https://x/y.aci'),
      (error) => hasErrorCode(error, 'ERR_IMAGE_MISMATCH') && error.message.includes('https://x/y.aci'));
  });
});
