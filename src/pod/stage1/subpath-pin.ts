/**
 * @module pod/stage1/subpath-pin — a volume's subPath bound through a file descriptor, so what
 * crun mounts is the very inode that was checked.
 *
 * A subPath is resolved inside its volume (volumes.ts: a symlink cannot lead out). Between that
 * and crun's bind, an app of the same pod that writes to the volume could swap a directory of
 * the path for a symlink to `/` and have the next container get the host's root (Kubernetes'
 * CVE-2017-1002101 and CVE-2021-25741). As kubelet does, the resolved path is opened one
 * component at a time with O_PATH|O_NOFOLLOW (a symlink found then is refused), and the inode
 * the last descriptor names is bind-mounted from `/proc/self/fd/N` onto a pin below the pod dir
 * (`<pod>/subpaths/<app>/<n>`), which no app can reach. crun binds the pin.
 *
 * Pins need this process's own mount namespace (`/proc/self/fd` names its descriptors); a
 * namespace reached from outside (tests driving a private systemd) keeps the resolved path.
 */
import { constants as fsConstants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MOUNT_FLAGS, errnoCode, failedPrecondition, mountFs, runtimeFailure } from '../../util/index.js';
import type { MountNamespace } from './mount-namespace.js';
import { nsPath } from './mount-namespace.js';
import { unmount } from './mounts.js';
import type { MountTargetKind } from './safe-path.js';

/** open(2)'s O_PATH on Linux (x86, arm and most others; Node does not export it). */
const O_PATH = 0o10000000;

/** Where app `app`'s subPath pins live. */
export function subPathPinDir(podDir: string, app: string): string {
  return path.join(podDir, 'subpaths', app);
}

function changed(root: string, inside: string, what: string): Error {
  return failedPrecondition('ERR_SUBPATH_CHANGED', `subPath "${inside.slice(1)}" of volume ${root} changed while it was being mounted: ${what}`, {
    hint: 'something in the pod replaced part of the path with a symlink; the mount was refused (start the app again once the volume is as expected)',
  });
}

/**
 * Opens `inside` (an absolute path within `root`, symlinks already resolved) below `root`
 * without following any symlink: each component through the descriptor of its parent.
 */
async function openBeneath(root: string, inside: string): Promise<FileHandle> {
  let current = await open(root, O_PATH | fsConstants.O_DIRECTORY);
  try {
    for (const component of inside.split('/').filter((c) => c !== '')) {
      if (component === '.' || component === '..') throw changed(root, inside, `"${component}" in a resolved path`);
      const next = await open(`/proc/self/fd/${current.fd}/${component}`, O_PATH | fsConstants.O_NOFOLLOW);
      await current.close();
      current = next;
      if ((await current.stat()).isSymbolicLink()) throw changed(root, inside, `"${component}" is a symlink now`);
    }
    return current;
  } catch (error) {
    await current.close();
    if (errnoCode(error) === 'ENOTDIR' || errnoCode(error) === 'ENOENT') throw changed(root, inside, (error as Error).message);
    throw error;
  }
}

/**
 * Binds `inside` of volume `root` onto pin `target` (created as a `kind` mount point; an old
 * pin there is unmounted first). Throws ERR_SUBPATH_CHANGED when the path no longer leads, by
 * directories and without symlinks, to a `kind` entry.
 */
export async function pinSubPath(ns: MountNamespace, root: string, inside: string, target: string, kind: MountTargetKind, recursive: boolean): Promise<void> {
  const handle = await openBeneath(root, inside);
  try {
    const isDirectory = (await handle.stat()).isDirectory();
    if (isDirectory !== (kind === 'directory')) throw changed(root, inside, `it is ${isDirectory ? 'a directory' : 'not a directory'} now`);
    await unmount(ns, target);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    if (kind === 'directory') await mkdir(target, { recursive: true, mode: 0o700 });
    else await (await open(target, 'a', 0o600)).close();
    try {
      mountFs(`/proc/self/fd/${handle.fd}`, target, undefined, MOUNT_FLAGS.bind | (recursive ? MOUNT_FLAGS.rec : 0));
    } catch (error) {
      throw runtimeFailure('ERR_MOUNT_FAILED', `bind subPath "${inside.slice(1)}" of volume ${root} at ${target}: ${(error as Error).message}`, { cause: error });
    }
  } finally {
    await handle.close();
  }
}

/** Unmounts and removes app `app`'s pins (idempotent). */
export async function unpinSubPaths(ns: MountNamespace, podDir: string, app: string): Promise<void> {
  const dir = subPathPinDir(podDir, app);
  let names: string[];
  try {
    names = await readdir(nsPath(ns, dir));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    const pin = path.join(dir, name);
    await unmount(ns, pin);
    // Never recursive: were a pin still mounted, that would delete the volume's files.
    await rmdir(nsPath(ns, pin)).catch(async (error: unknown) => {
      if (errnoCode(error) !== 'ENOTDIR') throw error;
      await unlink(nsPath(ns, pin));
    });
  }
  await rmdir(nsPath(ns, dir));
}
