/**
 * verifyImageSignature streams: it reads a FIFO in one pass, an abort mid-stream ends it with
 * the signal's reason, and verifying a 1 GiB image needs about as much memory as a 1 kB one
 * (peak RSS measured in child processes, so this test runner's own heap does not blur it).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, readFile, readlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openKeystore, parsePublicKeys, prefixScope, verifyImageSignature } from '../../../src/image/index.js';
import type { GpgKey, TempDir } from '../../harness/index.js';
import { createGpgKey, execChecked, execCommand, makeTempDir, waitFor } from '../../harness/index.js';
import { Owned, lower } from './keys.js';

const IMAGE_INDEX = fileURLToPath(new URL('../../../src/image/index.js', import.meta.url));
const BIG_BYTES = 1024 * 1024 * 1024;

/** Verifies in a fresh Node process; resolves to its peak RSS in bytes. */
async function peakRssOfVerification(config: string, image: string): Promise<number> {
  const script = `
    const { verifyImageSignature } = await import(${JSON.stringify(IMAGE_INDEX)});
    const { readFile } = await import('node:fs/promises');
    const [config, image] = process.argv.slice(1);
    const armoredSignature = await readFile(image + '.asc', 'utf8');
    const result = await verifyImageSignature(config, { imageName: 'example.com/app', imagePath: image, armoredSignature, signatureSource: image + '.asc' });
    process.stdout.write(JSON.stringify({ fingerprint: result.fingerprint, maxRssKiB: process.resourceUsage().maxRSS }));`;
  const result = await execCommand([process.execPath, '--input-type=module', '-e', script, config, image]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { fingerprint: string; maxRssKiB: number };
  return report.maxRssKiB * 1024;
}

describe('verifyImageSignature streaming', () => {
  const owned = new Owned();
  let tmp: TempDir;
  let key: GpgKey;
  let config = '';
  let image = '';
  let signature = '';
  before(async () => {
    tmp = await owned.own(makeTempDir('verify-stream'));
    key = await owned.own(createGpgKey({ name: 'Streamer', email: 'streamer@example.invalid' }));
    config = join(tmp.path, 'config');
    const [info] = await parsePublicKeys(key.armoredPublicKey, 'streamer');
    assert.ok(info);
    await openKeystore(config).add(prefixScope('example.com/app'), info);
    image = join(tmp.path, 'image.aci');
    await writeFile(image, randomBytes(3 * 1024 * 1024));
    signature = await readFile(await key.sign(image), 'utf8');
  });
  after(() => owned.removeAll());

  /**
   * A FIFO that never blocks the test: we hold it open read-write (Linux never blocks that
   * open), so the verifier's open succeeds at once and closing our end means end of data.
   * Only writes that fit the 64 KiB pipe buffer are made, so no write can block either.
   */
  async function fifoFeed(name: string): Promise<{ path: string; hold: FileHandle; opened(): Promise<void>; end(): Promise<void> }> {
    const path = join(tmp.path, name);
    await execChecked(['mkfifo', path]);
    const hold = await open(path, constants.O_RDWR);
    let ended: Promise<void> | undefined;
    const end = (): Promise<void> => (ended ??= hold.close());
    const opened = async (): Promise<void> => {
      // The verifier has opened the FIFO once a second descriptor of this process points at it.
      const count = async (): Promise<number> => {
        const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
        return targets.filter((t) => t === path).length;
      };
      assert.ok(await waitFor(async () => (await count()) >= 2, { timeoutMs: 30_000 }), `the verifier never opened ${path}`);
    };
    return { path, hold, opened, end };
  }

  it('verifies an image read from a FIFO (one pass, no seeking)', async () => {
    const small = join(tmp.path, 'fifo-image.aci');
    await writeFile(small, randomBytes(60_000));
    const smallSignature = await readFile(await key.sign(small), 'utf8');
    const feed = await fifoFeed('good.fifo');
    try {
      const verifying = verifyImageSignature(config, { imageName: 'example.com/app', imagePath: feed.path, armoredSignature: smallSignature, signatureSource: 'fifo-image.aci.asc' });
      await feed.opened();
      await feed.hold.write(await readFile(small));
      await feed.end();
      assert.equal((await verifying).fingerprint, lower(key.fingerprint));
    } finally {
      await feed.end();
    }
  });

  it('an abort while the image is being read rejects with the signal\'s reason', async () => {
    const feed = await fifoFeed('abort.fifo');
    const controller = new AbortController();
    const reason = new Error('fetch cancelled');
    try {
      const verifying = verifyImageSignature(config, { imageName: 'example.com/app', imagePath: feed.path, armoredSignature: signature, signatureSource: 'image.aci.asc' }, { signal: controller.signal });
      await feed.opened();
      await feed.hold.write((await readFile(image)).subarray(0, 32 * 1024));
      controller.abort(reason);
      // A read blocked on the FIFO only returns once there is data or end of data.
      await feed.end();
      await assert.rejects(verifying, (e) => e === reason);
    } finally {
      await feed.end();
    }
  });

  it('peak memory does not grow with the image: 1 GiB vs 1 kB', async (t) => {
    const small = join(tmp.path, 'small.aci');
    await writeFile(small, randomBytes(1024));
    await key.sign(small);
    const big = join(tmp.path, 'big.aci');
    await writeFile(big, '');
    await truncate(big, BIG_BYTES); // sparse: no disk used, but every byte is read and hashed
    await key.sign(big);
    const smallPeak = await peakRssOfVerification(config, small);
    const bigPeak = await peakRssOfVerification(config, big);
    const growth = bigPeak - smallPeak;
    t.diagnostic(`peak RSS: ${Math.round(smallPeak / 2 ** 20)} MiB for 1 kB, ${Math.round(bigPeak / 2 ** 20)} MiB for 1 GiB`);
    assert.ok(growth < BIG_BYTES / 4, `peak RSS grew by ${Math.round(growth / 2 ** 20)} MiB (${Math.round(smallPeak / 2 ** 20)} → ${Math.round(bigPeak / 2 ** 20)} MiB) for a 1 GiB image`);
  });
});
