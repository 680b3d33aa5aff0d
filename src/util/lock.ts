/**
 * @module lock — kernel file locks (shared/exclusive) on lock files.
 *
 * Uses open-file-description locks (`fcntl(F_OFD_SETLK)`) through rocklet's native helper:
 * they belong to the open file, so two opens in one process conflict like two processes do,
 * and the kernel drops a lock the moment its holder closes the file or dies (even by SIGKILL);
 * a stale lock cannot outlive its process. Locks are advisory.
 *
 * Waiting polls `tryLock` with a capped backoff instead of calling the blocking
 * `waitForLock`: a blocking wait occupies one of libuv's four thread-pool threads until it is
 * granted and cannot be cancelled, so a few waiters could starve the very fs calls the lock
 * holder needs to finish (a deadlock inside one process), and an AbortSignal could not stop it.
 * Locks are not re-entrant: taking the same path twice in one process waits on itself.
 */
import { constants as fsConstants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ofdTryLock, ofdUnlock } from './linux-sys.js';

export const LOCK_MODES = ['shared', 'exclusive'] as const;
/** `shared`: many holders at once (readers); `exclusive`: one holder, no shared holders. */
export type LockMode = (typeof LOCK_MODES)[number];

/** A held lock. Release it exactly once; releasing closes the lock file. */
export interface FileLock {
  readonly path: string;
  readonly mode: LockMode;
  /** Drop the lock and close the file. Idempotent. */
  release(): Promise<void>;
}

/** Options of {@link lockFile} and {@link withLock}. */
export interface LockOptions {
  /** Stop waiting when aborted; the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
}

const MAX_POLL_MS = 100;

async function openLockFile(file: string): Promise<FileHandle> {
  // O_RDWR: an exclusive (write) lock needs a writable descriptor (libuv adds O_CLOEXEC, so a
  // child process never inherits the lock). The file is created when
  // missing; its content is never used.
  return open(file, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
}

function heldLock(file: string, mode: LockMode, handle: FileHandle): FileLock {
  let released = false;
  return {
    path: file,
    mode,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      try {
        ofdUnlock(handle.fd);
      } finally {
        await handle.close();
      }
    },
  };
}

/**
 * Try to take a lock on `file` (created if missing) without waiting.
 * Resolves to the held lock, or `undefined` when another holder conflicts.
 */
export async function tryLockFile(file: string, mode: LockMode): Promise<FileLock | undefined> {
  const handle = await openLockFile(file);
  let granted = false;
  try {
    granted = ofdTryLock(handle.fd, mode);
  } finally {
    if (!granted) await handle.close();
  }
  return granted ? heldLock(file, mode, handle) : undefined;
}

/**
 * Take a lock on `file` (created if missing), waiting as long as another holder conflicts.
 * Rejects with `options.signal.reason` when the signal aborts before the lock is granted.
 */
export async function lockFile(file: string, mode: LockMode, options: LockOptions = {}): Promise<FileLock> {
  const { signal } = options;
  signal?.throwIfAborted();
  const handle = await openLockFile(file);
  let granted = false;
  try {
    let delayMs = 1;
    for (;;) {
      granted = ofdTryLock(handle.fd, mode);
      if (granted) return heldLock(file, mode, handle);
      await sleep(delayMs, undefined, signal === undefined ? {} : { signal });
      delayMs = Math.min(delayMs * 2, MAX_POLL_MS);
    }
  } catch (error) {
    throw signal?.aborted === true ? signal.reason : error;
  } finally {
    if (!granted) await handle.close();
  }
}

/**
 * Run `fn` while holding a lock on `file`; the lock is released when `fn` settles, whether it
 * resolved or threw. Do not nest two `withLock` calls on the same path in one process.
 */
export async function withLock<T>(
  file: string,
  mode: LockMode,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lock = await lockFile(file, mode, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
