import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SEGMENT_END, SEGMENT_START } from '../../../src/image/archive/hash-protocol.js';
import type { HashMode, TarHasherOptions } from '../../../src/image/archive/tar-hasher.js';
import { TarHasher } from '../../../src/image/archive/tar-hasher.js';
import { hasErrorCode } from '../../../src/util/index.js';
import { removeDir, tempDir } from '../fixtures.js';

const SLOT = 64 * 1024;

/**
 * Feed `data` through a hasher slot by slot; `files` are [start, end) ranges of `data` to digest
 * (in order, not overlapping). Returns the hashes.
 */
async function feed(options: TarHasherOptions, data: Buffer, files: readonly (readonly [number, number])[], hold?: (slot: number) => Promise<unknown> | undefined) {
  const hasher = new TarHasher({ slotBytes: SLOT, slotCount: 3, ...options });
  try {
    for (let offset = 0, index = 0; offset < data.length; offset += SLOT, index += 1) {
      const slot = await hasher.acquire();
      const length = data.copy(slot.buffer, 0, offset, offset + SLOT);
      const segments: number[] = [];
      for (const [start, end] of files) {
        const from = Math.max(start, offset);
        const to = Math.min(end, offset + length);
        const empty = start === end && start >= offset && start < offset + length;
        if (from >= to && !empty) continue;
        const flags = (from === start ? SEGMENT_START : 0) | (to === end ? SEGMENT_END : 0);
        segments.push(from - offset, Math.max(from, to) - offset, flags);
      }
      hasher.submit(slot, length, segments, hold?.(index));
    }
    return await hasher.finish();
  } finally {
    await hasher.close();
  }
}

describe('tar hasher', () => {
  let work: string;
  const data = randomBytes(5 * SLOT + 1234);
  const files: [number, number][] = [[0, 10], [100, 100], [200, 3 * SLOT + 17], [3 * SLOT + 17, 3 * SLOT + 17], [4 * SLOT, data.length]];
  before(async () => {
    work = await tempDir('tar-hasher');
  });
  after(() => removeDir(work));

  for (const mode of ['inline', 'worker'] as HashMode[]) {
    it(`${mode}: hashes the whole stream with SHA-512 and each range with SHA-256`, async () => {
      const hashes = await feed({ mode, label: 'test' }, data, files);
      assert.equal(hashes.sha512, createHash('sha512').update(data).digest('hex'));
      assert.deepEqual(hashes.fileDigests, files.map(([start, end]) => createHash('sha256').update(data.subarray(start, end)).digest('hex')));
    });
  }

  // The import's blob is this copy: written on the worker, aligned chunks with O_DIRECT (from
  // page-aligned ring memory) and the unaligned tail buffered, or all buffered inline.
  for (const [mode, direct] of [['worker', true], ['worker', false], ['inline', false]] as [HashMode, boolean][]) {
    it(`${mode}: copies the stream byte for byte to a file${direct ? ' (with O_DIRECT)' : ''}`, async () => {
      const file = path.join(work, `copy-${mode}-${direct}`);
      const fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
      const directFd = direct ? openSync(file, fsConstants.O_WRONLY | fsConstants.O_DIRECT) : undefined;
      try {
        const hashes = await feed({ mode, label: 'test', copyTo: { fd, directFd } }, data, files);
        assert.equal(hashes.sha512, createHash('sha512').update(data).digest('hex'));
      } finally {
        if (directFd !== undefined) closeSync(directFd);
        closeSync(fd);
      }
      assert.equal(data.length % 4096 === 0, false, 'the data ends with an unaligned tail');
      assert.deepEqual(await readFile(file), data);
    });
  }

  it('reports a failed copy as ERR_TAR_COPY_FAILED', async () => {
    const file = path.join(work, 'read-only');
    await writeFile(file, '');
    for (const mode of ['worker', 'inline'] as HashMode[]) {
      const fd = openSync(file, 'r');
      try {
        await assert.rejects(feed({ mode, label: 'image.aci', copyTo: { fd } }, data, []), (error: unknown) => {
          assert.ok(hasErrorCode(error, 'ERR_TAR_COPY_FAILED'), String(error));
          assert.match(error.message, /^image\.aci: cannot store the copy of the tar: EBADF/);
          return true;
        });
      } finally {
        closeSync(fd);
      }
    }
  });

  it('reuses a slot only after its hold settles; finish waits for every hold', async () => {
    const hasher = new TarHasher({ mode: 'worker', label: 'test', slotBytes: SLOT, slotCount: 1 });
    try {
      const events: string[] = [];
      const slot = await hasher.acquire();
      let release = (): void => undefined;
      const hold = new Promise<void>((resolve) => {
        release = () => {
          events.push('hold settled');
          resolve();
        };
      });
      hasher.submit(slot, SLOT, [], hold);
      const again = hasher.acquire().then((next) => {
        events.push('slot reused');
        return next;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(events.length, 0, 'the slot stays taken while its hold is pending');
      release();
      const next = await again;
      assert.equal(next.index, slot.index);
      assert.equal(events.join(', '), 'hold settled, slot reused');
      const late = new Promise<void>((resolve) => setTimeout(() => {
        events.push('late hold settled');
        resolve();
      }, 20));
      hasher.submit(next, 0, [], late);
      await hasher.finish();
      assert.equal(events.at(-1), 'late hold settled');
    } finally {
      await hasher.close();
    }
  });

  it('fails with the error of a rejected hold', async () => {
    const failure = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    await assert.rejects(feed({ mode: 'worker', label: 'test' }, data, [], (slot) => (slot === 1 ? Promise.reject(failure) : undefined)), failure);
    await assert.rejects(feed({ mode: 'inline', label: 'test' }, data, [], (slot) => (slot === 1 ? Promise.reject(failure) : undefined)), failure);
  });

  it('reports a worker that cannot start as ERR_HASH_WORKER_FAILED', async () => {
    const missing = pathToFileURL(path.join(work, 'no-such-worker.js'));
    await assert.rejects(feed({ mode: 'worker', label: 'image.aci', workerUrl: missing }, data, []), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_HASH_WORKER_FAILED'), String(error));
      assert.match(error.message, /^image\.aci: the hashing worker thread failed: /);
      return true;
    });
  });

  it('reports a worker that crashes mid-stream, without hanging', async () => {
    const crashing = path.join(work, 'crashing-worker.mjs');
    await writeFile(crashing, `import { parentPort } from 'node:worker_threads';
let seen = 0;
parentPort.on('message', (message) => {
  seen += 1;
  if (seen === 2) throw new Error('hash worker exploded');
  parentPort.postMessage({ type: 'done', slot: message.slot });
});
`);
    await assert.rejects(feed({ mode: 'worker', label: 'image.aci', workerUrl: pathToFileURL(crashing) }, data, []), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_HASH_WORKER_FAILED'), String(error));
      assert.match(error.message, /hash worker exploded/);
      return true;
    });
    const exiting = path.join(work, 'exiting-worker.mjs');
    await writeFile(exiting, `process.exit(3);\n`);
    await assert.rejects(feed({ mode: 'worker', label: 'image.aci', workerUrl: pathToFileURL(exiting) }, data, []), (error: unknown) =>
      hasErrorCode(error, 'ERR_HASH_WORKER_FAILED') && /exited with code 3/.test(error.message));
  });
});
