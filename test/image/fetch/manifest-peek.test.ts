import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { peekManifest } from '../../../src/image/fetch/manifest-peek.js';
import { hasErrorCode } from '../../../src/util/index.js';
import type { TempDir } from '../../harness/index.js';
import { makeTempDir } from '../../harness/index.js';
import { makeTar, manifestJson } from '../fixtures.js';
import { buildTestAci } from './helpers.js';

describe('fetch/manifest-peek', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('peek');
  });
  after(() => tmp.remove());

  it('reads the manifest of a gzip ACI without unpacking it', async () => {
    const aci = path.join(tmp.path, 'a.aci');
    await buildTestAci(aci, { name: 'example.com/peek', version: '4.5.6' });
    const manifest = await peekManifest(aci, aci);
    assert.equal(manifest.name, 'example.com/peek');
    assert.ok(manifest.labels.some((label) => label.name === 'version' && label.value === '4.5.6'));
  });

  it('finds a manifest that is not the first entry, in a plain tar', async () => {
    const tar = await makeTar([
      { header: { name: 'rootfs', type: 'directory', mode: 0o755 } },
      { header: { name: 'rootfs/file' }, content: 'x'.repeat(5000) },
      { header: { name: './manifest' }, content: JSON.stringify(manifestJson('example.com/late')) },
    ]);
    const file = path.join(tmp.path, 'late.aci');
    await writeFile(file, tar);
    assert.equal((await peekManifest(file, file)).name, 'example.com/late');
  });

  it('names what is wrong: no manifest, invalid manifest, truncated gzip, not an archive', async () => {
    const noManifest = path.join(tmp.path, 'none.aci');
    await writeFile(noManifest, await makeTar([{ header: { name: 'rootfs', type: 'directory', mode: 0o755 } }]));
    await assert.rejects(peekManifest(noManifest, 'none.aci'), (error) => hasErrorCode(error, 'ERR_ACI_NO_MANIFEST') && error.message.includes('none.aci'));
    const invalid = path.join(tmp.path, 'invalid.aci');
    await writeFile(invalid, await makeTar([{ header: { name: 'manifest' }, content: '{"acKind": "ImageManifest"}' }]));
    await assert.rejects(peekManifest(invalid, invalid), (error) => hasErrorCode(error, 'ERR_INVALID_MANIFEST'));
    const truncated = path.join(tmp.path, 'truncated.aci');
    const gz = gzipSync(await readFile(noManifest));
    await writeFile(truncated, gz.subarray(0, gz.length - 30));
    await assert.rejects(peekManifest(truncated, truncated), (error) => hasErrorCode(error, 'ERR_COMPRESSION_TRUNCATED'));
    const text = path.join(tmp.path, 'text.aci');
    await writeFile(text, 'just some text\n');
    await assert.rejects(peekManifest(text, text), (error) => hasErrorCode(error, 'ERR_ACI_UNKNOWN_FORMAT'));
  });
});
