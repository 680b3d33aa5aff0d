/**
 * @module hash-worker — the body of the worker thread {@link TarHasher} starts: the SHA-512 of
 * the whole uncompressed tar (the image ID) and the SHA-256 of each regular file (the tree
 * hash), read from the shared ring the main thread fills, and the buffered writes of the copy
 * of the tar (the store's blob). Hashing is most of an import's CPU time; here it runs on the
 * second core while the main thread writes the tree. It imports only node: modules so it
 * starts fast.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { FromHashWorker, HashWorkerData, ToHashWorker } from './hash-protocol.js';
import { FILE_DIGEST_BYTES, SEGMENT_END, SEGMENT_START } from './hash-protocol.js';

if (parentPort === null) throw new Error('hash-worker.js must run in a worker thread');
const port = parentPort;
const { ring, slotBytes, copyFd } = workerData as HashWorkerData;
const whole = createHash('sha512');
let file: Hash | undefined;
let digests = Buffer.alloc(FILE_DIGEST_BYTES * 1024);
let digestCount = 0;
let copyFailed = false;

function pushDigest(digest: Buffer): void {
  if ((digestCount + 1) * FILE_DIGEST_BYTES > digests.length) {
    const grown = Buffer.alloc(digests.length * 2);
    digests.copy(grown);
    digests = grown;
  }
  digest.copy(digests, digestCount * FILE_DIGEST_BYTES);
  digestCount += 1;
}

function hashChunk(chunk: Buffer, segments: readonly number[]): void {
  whole.update(chunk);
  for (let index = 0; index + 2 < segments.length; index += 3) {
    const start = segments[index] ?? 0;
    const end = segments[index + 1] ?? 0;
    const flags = segments[index + 2] ?? 0;
    if ((flags & SEGMENT_START) !== 0) file = createHash('sha256');
    if (file === undefined) throw new Error('hash worker: file content before its start');
    if (end > start) file.update(chunk.subarray(start, end));
    if ((flags & SEGMENT_END) !== 0) {
      pushDigest(file.digest());
      file = undefined;
    }
  }
}

function writeAt(chunk: Buffer, at: number): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(copyFd, chunk, offset, chunk.length - offset, at + offset);
}

/**
 * Buffered writes only (direct ones are issued by the main thread, see tar-copy.ts), and
 * synchronous: when the main thread terminates this worker, no write is left in flight on a
 * descriptor it is about to close.
 */
function onChunk(slot: number, length: number, segments: readonly number[], copyAt: number): FromHashWorker {
  const chunk = Buffer.from(ring, slot * slotBytes, length);
  if (copyAt >= 0) {
    try {
      writeAt(chunk, copyAt);
    } catch (error) {
      copyFailed = true;
      const { code } = error as { code?: unknown };
      return { type: 'copy-failed', message: error instanceof Error ? error.message : String(error), code: typeof code === 'string' ? code : undefined };
    }
  }
  hashChunk(chunk, segments);
  return { type: 'done', slot };
}

port.on('message', (message: ToHashWorker) => {
  // After a failed copy the main thread fails the import; nothing more to do.
  if (copyFailed) return;
  let reply: FromHashWorker;
  if (message.type === 'chunk') {
    reply = onChunk(message.slot, message.length, message.segments, message.copyAt);
  } else {
    const result = new Uint8Array(digests.buffer, digests.byteOffset, digestCount * FILE_DIGEST_BYTES).slice();
    reply = { type: 'result', sha512: whole.digest('hex'), digests: result };
  }
  port.postMessage(reply);
});
