/**
 * @module store-workdir — private work directories under `images/tmp/` for imports and
 * renders. Each holds a lock file locked for as long as the work runs; the directory is made
 * and locked under the shared store lock, so gc (which takes the exclusive store lock) sees
 * either no directory or a locked one. An unlocked work dir can only be a crash leftover.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FileLock } from '../../util/index.js';
import { errnoCode, lockFile, tryLockFile, withLock } from '../../util/index.js';
import type { StoreLayout } from './store-layout.js';

/** A held work directory. `release` removes it and drops its lock. */
export interface WorkDir {
  readonly path: string;
  release(): Promise<void>;
}

/** Create and lock a fresh work directory. */
export async function createWorkDir(layout: StoreLayout, signal?: AbortSignal): Promise<WorkDir> {
  return withLock(layout.lock, 'shared', async () => {
    const dir = path.join(layout.tmp, randomBytes(8).toString('hex'));
    await mkdir(dir, { mode: 0o700 });
    const lock: FileLock = await lockFile(path.join(dir, 'lock'), 'exclusive');
    let released = false;
    return {
      path: dir,
      async release(): Promise<void> {
        if (released) return;
        released = true;
        try {
          await rm(dir, { recursive: true, force: true });
        } finally {
          await lock.release();
        }
      },
    };
  }, { signal });
}

/**
 * Remove work directories nobody holds (crash leftovers). Call with the exclusive store lock
 * held. Returns the names removed.
 */
export async function removeStaleWorkDirs(layout: StoreLayout): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(layout.tmp, { withFileTypes: true })) {
    const dir = path.join(layout.tmp, entry.name);
    if (!entry.isDirectory()) {
      await rm(dir, { force: true });
      removed.push(entry.name);
      continue;
    }
    let lock: FileLock | undefined;
    try {
      lock = await tryLockFile(path.join(dir, 'lock'), 'exclusive');
    } catch (error) {
      // The owner finished and removed its directory between readdir and now.
      if (errnoCode(error) === 'ENOENT') continue;
      throw error;
    }
    if (lock === undefined) continue;
    try {
      await rm(dir, { recursive: true, force: true });
      removed.push(entry.name);
    } finally {
      await lock.release();
    }
  }
  return removed;
}
