/**
 * @module hash-protocol — the messages between {@link TarHasher} (main thread) and
 * hash-worker.ts. The tar bytes never travel in messages: both sides share a ring of slots in
 * one SharedArrayBuffer; a message only says which slot holds how many bytes and where the
 * regular files' contents lie in it. Kept apart from the worker so the main thread can import
 * these without loading the worker's body.
 */

/** The segment starts a new file digest. */
export const SEGMENT_START = 1;
/** The segment ends the current file digest. */
export const SEGMENT_END = 2;

/** What the worker is started with. */
export interface HashWorkerData {
  readonly ring: SharedArrayBuffer;
  readonly slotBytes: number;
  /** A file descriptor (open for writing) that chunks are copied to (see `copyAt`); -1 for none. */
  readonly copyFd: number;
}

/**
 * Main → worker. `segments` holds triples `[start, end, flags]` (slot-relative byte ranges of
 * file content, flags from SEGMENT_*), in stream order. `copyAt` >= 0: also write the chunk at
 * that offset of `copyFd`.
 */
export type ToHashWorker =
  | { readonly type: 'chunk'; readonly slot: number; readonly length: number; readonly segments: readonly number[]; readonly copyAt: number }
  | { readonly type: 'finish' };

/** Worker → main. `digests` holds the SHA-256 of each file, 32 bytes each, in the order they started. */
export type FromHashWorker =
  | { readonly type: 'done'; readonly slot: number }
  /** Writing to `copyFd` failed; the worker does nothing more. */
  | { readonly type: 'copy-failed'; readonly message: string; readonly code: string | undefined }
  | { readonly type: 'result'; readonly sha512: string; readonly digests: Uint8Array };

/** SHA-256 digest length in bytes. */
export const FILE_DIGEST_BYTES = 32;
