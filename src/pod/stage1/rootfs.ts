/**
 * @module pod/stage1/rootfs — an app's directory in the pod and its overlayfs root.
 *
 * ```
 * <pod>/apps/<app>/            the app's OCI bundle directory
 *   config.json                OCI runtime config (bundle.ts)
 *   rootfs/                    overlay mount point: the app's root filesystem
 *   upper/                     overlay upperdir: every write of the app lands here
 *   work/                      overlay workdir (overlayfs' scratch space, same fs as upper)
 * ```
 *
 * Lower dirs are the image store's rendered trees, never written. A fresh mount (the
 * default) empties upper/ and work/ first, so a restarted app starts from the image, as a
 * restarted Kubernetes container does. Mount and unmount are idempotent.
 */
import { chmod, chown, lstat, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition, invalidArgument } from '../../util/index.js';
import { BUNDLE_CONFIG } from './bundle.js';
import type { MountNamespace } from './mount-namespace.js';
import { nsPath } from './mount-namespace.js';
import { listMountPoints, mountOverlay, unmount } from './mounts.js';
import { unpinSubPaths } from './subpath-pin.js';

/** The directory under a pod dir that holds one directory per app. */
export const APPS_DIR = 'apps';

/** The paths of one app (paths of the mount namespace stage1 works in). */
export interface AppDirs {
  readonly dir: string;
  readonly config: string;
  readonly rootfs: string;
  readonly upper: string;
  readonly work: string;
}

const APP_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/** Throws ERR_STAGE1_APP_NAME unless `name` is safe as one path component. */
export function checkAppName(name: string): void {
  if (!APP_NAME.test(name) || name.includes('..') || name.length > 253) {
    throw invalidArgument('ERR_STAGE1_APP_NAME', `app name "${name}" cannot name a directory (lowercase letters, digits, ".", "_", "-")`);
  }
}

/** Where the app `app` of the pod at `podDir` keeps its bundle, rootfs and overlay dirs. */
export function appDirs(podDir: string, app: string): AppDirs {
  checkAppName(app);
  const dir = path.join(podDir, APPS_DIR, app);
  return {
    dir,
    config: path.join(dir, BUNDLE_CONFIG),
    rootfs: path.join(dir, 'rootfs'),
    upper: path.join(dir, 'upper'),
    work: path.join(dir, 'work'),
  };
}

/** Options of {@link mountAppRootfs}. */
export interface MountAppRootfsOptions {
  readonly podDir: string;
  readonly app: string;
  /** Image trees (`trees/<id>/rootfs`), topmost first: the image, then what it depends on. */
  readonly lowerDirs: readonly string[];
  /** Empty upper/work and remount when already mounted (default true). */
  readonly fresh?: boolean;
}

/**
 * Mounts the app's overlay root at `<pod>/apps/<app>/rootfs` and returns the app's paths.
 * A lower dir that is not a directory is ERR_IMAGE_TREE_MISSING (failed-precondition).
 */
export async function mountAppRootfs(ns: MountNamespace, options: MountAppRootfsOptions): Promise<AppDirs> {
  const dirs = appDirs(options.podDir, options.app);
  for (const lower of options.lowerDirs) {
    const stats = await statOrUndefined(nsPath(ns, lower));
    if (stats?.isDirectory() !== true) {
      throw failedPrecondition('ERR_IMAGE_TREE_MISSING', `app "${options.app}": image tree ${lower} is missing`, {
        hint: 'render the image again (rocklet image render) or re-run prepare',
      });
    }
  }
  if (options.fresh ?? true) {
    await unmount(ns, dirs.rootfs);
    await rm(nsPath(ns, dirs.upper), { recursive: true, force: true });
    await rm(nsPath(ns, dirs.work), { recursive: true, force: true });
  }
  await mkdir(nsPath(ns, dirs.dir), { recursive: true, mode: 0o750 });
  for (const sub of [dirs.rootfs, dirs.work]) await mkdir(nsPath(ns, sub), { recursive: true, mode: 0o755 });
  await createUpper(ns, dirs.upper, options.lowerDirs[0]);
  await mountOverlay(ns, { lowerDirs: options.lowerDirs, writable: { upperDir: dirs.upper, workDir: dirs.work }, target: dirs.rootfs });
  return dirs;
}

/** The overlay root takes the upper dir's attributes: give it those of the image's root. */
async function createUpper(ns: MountNamespace, upper: string, top: string | undefined): Promise<void> {
  const host = nsPath(ns, upper);
  try {
    await mkdir(host, { mode: 0o755 });
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return;
    throw error;
  }
  if (top === undefined) return;
  const root = await lstat(nsPath(ns, top));
  await chown(host, root.uid, root.gid);
  await chmod(host, root.mode & 0o7777);
}

async function statOrUndefined(p: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(p);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Unmounts the app's rootfs and its subPath pins; true when the rootfs was mounted. Idempotent. */
export async function unmountAppRootfs(ns: MountNamespace, podDir: string, app: string): Promise<boolean> {
  await unpinSubPaths(ns, podDir, app);
  return unmount(ns, appDirs(podDir, app).rootfs);
}

/** Unmounts the app's rootfs (and subPath pins) and deletes its directory (bundle, upper dir and all). Idempotent. */
export async function removeAppDir(ns: MountNamespace, podDir: string, app: string): Promise<void> {
  const dirs = appDirs(podDir, app);
  await unpinSubPaths(ns, podDir, app);
  await unmount(ns, dirs.rootfs);
  // Never recurse into a mount (a bind of host files would lose them): refuse instead.
  const left = (await listMountPoints(ns)).filter((p) => p === dirs.dir || p.startsWith(`${dirs.dir}/`));
  if (left.length > 0) throw failedPrecondition('ERR_POD_MOUNTS_LEFT', `cannot remove ${dirs.dir}: still mounted: ${left.join(', ')}`);
  await rm(nsPath(ns, dirs.dir), { recursive: true, force: true });
}
