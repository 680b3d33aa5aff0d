/**
 * @module net/netns — network namespaces bound to files (`<netnsDir>/<podId>`).
 *
 * Created by {@link bindNamespaces} (util's native helper): a short-lived child unshares a new
 * network namespace, brings `lo` up in it and bind-mounts its nsfs inode onto the (pre-created,
 * empty) file, so the namespace outlives the child. This works whether the parent mount is
 * private or shared, so no bind mount of the directory is made. The mount lives in the caller's
 * mount namespace: `pod up` must not run with PrivateMounts=, or the file would be an empty
 * regular file for everyone else.
 *
 * A file counts as a namespace when statfs reports nsfs. Create and remove are idempotent:
 * an empty file left by a crash is reused, a stacked mount is unmounted until none is left.
 */
import { mkdir, statfs, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bindNamespaces, errnoCode, runtimeFailure, unmountFs } from '../util/index.js';
import type { PodId } from './config.js';

// NSFS_MAGIC from <linux/magic.h>.
const NSFS_MAGIC = 0x6e736673;
// More mounts than this on one file means something else keeps mounting it; stop rather than spin.
const MAX_UNMOUNTS = 8;

/** Where the netns file of a pod lives. */
export function podNetnsPath(netnsDir: string, podId: PodId): string {
  return path.join(netnsDir, podId);
}

/** True when `file` exists and a network (or other) namespace is mounted on it. */
export async function isNetnsFile(file: string): Promise<boolean> {
  try {
    const stats = await statfs(file);
    return stats.type === NSFS_MAGIC;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Make sure a fresh network namespace, loopback up, is bound to `file`; returns whether it was
 * created now (false: it already existed and is reused untouched).
 */
export async function ensureNetnsFile(file: string): Promise<boolean> {
  if (await isNetnsFile(file)) return false;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  try {
    await writeFile(file, '', { flag: 'wx', mode: 0o644 });
  } catch (error) {
    // A file left by an earlier crash between creation and mount: reuse it.
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
  try {
    bindNamespaces({ net: file, loopbackUp: true });
  } catch (error) {
    throw runtimeFailure('ERR_NET_NETNS_CREATE', `cannot create network namespace ${file}: ${(error as Error).message}`, { cause: error });
  }
  return true;
}

/**
 * Unmount every namespace bound to `file` and delete it. Returns whether anything was there.
 * Processes still inside the namespace keep it alive, but it is no longer reachable by path.
 */
export async function removeNetnsFile(file: string): Promise<boolean> {
  let found = false;
  for (let i = 0; await isNetnsFile(file); i++) {
    if (i >= MAX_UNMOUNTS) {
      throw runtimeFailure('ERR_NET_NETNS_BUSY', `network namespace file ${file} is still mounted after ${i} unmounts`);
    }
    found = true;
    try {
      unmountFs(file, { detach: true });
    } catch (error) {
      throw runtimeFailure('ERR_NET_NETNS_BUSY', `cannot unmount network namespace ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    await unlink(file);
    found = true;
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  return found;
}
