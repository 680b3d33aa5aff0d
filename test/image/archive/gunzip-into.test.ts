import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { GunzipInto } from '../../../src/image/archive/gunzip-into.js';
import { readAci } from '../../../src/image/format/aci/aci-reader.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { makeTar, minimalEntries } from '../fixtures.js';

/** Feed `data` in chunks of `inputBytes`, fill targets of `targetBytes`; everything decompressed. */
async function inflate(data: Buffer, inputBytes: number, targetBytes: number): Promise<Buffer> {
  let offset = 0;
  const gunzip = GunzipInto.create(() => {
    if (offset >= data.length) return Promise.resolve(undefined);
    const chunk = data.subarray(offset, offset + inputBytes);
    offset += chunk.length;
    return Promise.resolve(chunk);
  });
  assert.ok(gunzip !== undefined, "this Node's zlib must expose the internals GunzipInto uses");
  const parts: Buffer[] = [];
  try {
    const target = Buffer.alloc(targetBytes);
    for (let filled = await gunzip.fill(target); filled > 0; filled = await gunzip.fill(target)) {
      parts.push(Buffer.from(target.subarray(0, filled)));
      // Only the last fill may come back short.
      if (filled < targetBytes) assert.equal(await gunzip.fill(target), 0);
    }
  } finally {
    gunzip.close();
  }
  return Buffer.concat(parts);
}

describe('gunzip into caller buffers', () => {
  // Compressible and incompressible parts: inflate output far larger and equal to its input.
  const plain = Buffer.concat([Buffer.alloc(300_000, 'rocklet '), randomBytes(200_000), Buffer.alloc(70_001, 3)]);
  const gz = gzipSync(plain);

  it('gives back exactly the data, whatever the input and target sizes', async () => {
    for (const [inputBytes, targetBytes] of [[1, 4096], [7, 1000], [65_536, 1 << 20], [gz.length, 333], [100_000, 65_536]] as const) {
      assert.ok((await inflate(gz, inputBytes, targetBytes)).equals(plain), `input ${inputBytes}, target ${targetBytes}`);
    }
  });

  it('reads concatenated gzip members as one stream and ignores zero padding after the end', async () => {
    const second = randomBytes(5000);
    const padded = Buffer.concat([gz, gzipSync(second), Buffer.alloc(4096)]);
    assert.ok((await inflate(padded, 1000, 8192)).equals(Buffer.concat([plain, second])));
  });

  it('an empty gzip stream gives nothing', async () => {
    assert.equal((await inflate(gzipSync(Buffer.alloc(0)), 10, 512)).length, 0);
  });

  it('fails with Z_BUF_ERROR when the data ends early and Z_DATA_ERROR when it is corrupt', async () => {
    await assert.rejects(inflate(gz.subarray(0, gz.length - 100), 4096, 65_536), { code: 'Z_BUF_ERROR' });
    const corrupt = Buffer.from(gz);
    corrupt.fill(0xff, 20, 60);
    await assert.rejects(inflate(corrupt, 4096, 65_536), (error: unknown) => {
      assert.match(String((error as { code?: unknown }).code), /^Z_(DATA|STREAM)_ERROR$/);
      return true;
    });
  });

  it('a gzip byte stream that is truncated or corrupt is refused with our codes', async () => {
    const tar = await makeTar(minimalEntries());
    const bytes = gzipSync(tar);
    const stream = (data: Buffer): Readable => {
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < data.length; offset += 999) chunks.push(data.subarray(offset, offset + 999));
      return Readable.from(chunks);
    };
    await assert.rejects(readAci(stream(bytes.subarray(0, bytes.length - 50))), (error: unknown) => hasErrorCode(error, 'ERR_COMPRESSION_TRUNCATED'));
    const corrupt = Buffer.from(bytes);
    corrupt.fill(0xff, 30, 90);
    await assert.rejects(readAci(stream(corrupt)), (error: unknown) => hasErrorCode(error, 'ERR_COMPRESSION_CORRUPT'));
    const read = await readAci(stream(bytes));
    assert.equal(read.compression, 'gzip');
  });
});
