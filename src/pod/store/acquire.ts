/**
 * @module pod/store/acquire — take a pod's lock to change its state.
 *
 * Readers (`list`, `status`) probe with a shared lock for an instant, so an exclusive attempt
 * can fail only because a reader was looking. When the follow-up probe finds the lock free,
 * the conflict was such a reader and the attempt is repeated a few times before giving up.
 */
import { fstat as fstatCallback } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../../util/index.js';
import { POD_FILES } from './layout.js';
import type { LockPurpose, PodLock } from './pod-lock.js';
import { probePodLock, tryLockPod } from './pod-lock.js';

/** The outcome of {@link acquirePodLock}. */
export type Acquired =
  /** We hold the exclusive lock now. */
  | { readonly status: 'locked'; readonly lock: PodLock }
  /** Someone else has it (the pod is running or preparing, or another process is changing it). */
  | { readonly status: 'busy' }
  /** The pod directory has no lock file (a crash before it was made, or a half-deleted pod). */
  | { readonly status: 'no-lock-file' }
  /** The pod directory is not there (it moved on or was deleted). */
  | { readonly status: 'gone' };

const fstat = promisify(fstatCallback);
const READER_RETRIES = 10;
const READER_RETRY_MS = 10;

/** Try to take the lock of the pod at `podDir` for `purpose`, without waiting on real holders. */
export async function acquirePodLock(podDir: string, purpose: LockPurpose): Promise<Acquired> {
  const file = path.join(podDir, POD_FILES.lock);
  for (let attempt = 0; ; attempt += 1) {
    let lock: PodLock | undefined;
    try {
      lock = await tryLockPod(file, { create: false, purpose });
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' && errnoCode(error) !== 'ENOTDIR') throw error;
      return (await exists(podDir)) ? { status: 'no-lock-file' } : { status: 'gone' };
    }
    if (lock !== undefined) {
      // Between our open and our lock another changer may have moved or deleted the pod (they
      // unlock only after that): the lock is then on a file no longer at this path.
      if (await stillAt(file, lock)) return { status: 'locked', lock };
      await lock.release();
      return { status: 'gone' };
    }
    if (attempt >= READER_RETRIES || (await probePodLock(file)) !== 'free') return { status: 'busy' };
    await sleep(READER_RETRY_MS);
  }
}

/** True when `file` is still the file `lock` holds (same device and inode). */
async function stillAt(file: string, lock: PodLock): Promise<boolean> {
  const held = await fstat(lock.fd);
  try {
    const now = await lstat(file);
    return now.ino === held.ino && now.dev === held.dev;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/** True when `file` exists (without following a final symlink). */
export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}
