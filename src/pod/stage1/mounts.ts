/**
 * @module pod/stage1/mounts — the host-side mounts of stage1 (overlay rootfs, tmpfs volumes)
 * and the namespace's mount table to make every call idempotent. In this process's own mount
 * namespace (production) they are direct mount(2)/umount2(2) calls through util's native
 * helper; in another one (tests reaching into a private systemd) util-linux `mount`/`umount`
 * run there through `nsenter`.
 *
 * Paths given to mount options must not contain `,` `:` `\` or newlines (overlay's option
 * syntax has no reliable escaping); rocklet's own directories never do.
 */
import { readFile, realpath } from 'node:fs/promises';
import { errnoCode, invalidArgument, isMountRoot, MOUNT_FLAGS, mountFs, runtimeFailure, unmountFs } from '../../util/index.js';
import { checkedResult, runCommand, tail } from './command.js';
import type { MountNamespace } from './mount-namespace.js';
import { isOwnNamespace, nsPath } from './mount-namespace.js';

// The kernel takes at most one page of mount options.
const MAX_MOUNT_OPTIONS = 4096;
// More stacked mounts than this on one point means something keeps mounting it; stop.
const MAX_UNMOUNTS = 8;

/** A mountinfo field with its octal escapes (`\\040` for a space) undone. */
export function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Every mount point of `ns` (as paths of that namespace), in mount order. */
export async function listMountPoints(ns: MountNamespace): Promise<string[]> {
  const text = await readFile(ns.mountinfo, 'utf8');
  const points: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field !== undefined) points.push(unescapeMountPath(field));
  }
  return points;
}

/** `p` with symlinks resolved, as a path of `ns` (p itself when it does not exist). */
async function canonical(ns: MountNamespace, p: string): Promise<string> {
  try {
    const real = await realpath(nsPath(ns, p));
    return ns.root !== '' && real.startsWith(`${ns.root}/`) ? real.slice(ns.root.length) : real;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return p;
    throw error;
  }
}

/**
 * True when something is mounted on `p` in `ns`. In this process's own namespace one statx(2)
 * answers (the daemon asks this for every mount of every pod start, and reading mountinfo,
 * which holds every pod's mounts, made that quadratic in the pod count).
 */
export async function isMountPoint(ns: MountNamespace, p: string): Promise<boolean> {
  const target = await canonical(ns, p);
  const root = isOwnNamespace(ns) ? isMountRoot(target) : undefined;
  if (root !== undefined) return root;
  return (await listMountPoints(ns)).includes(target);
}

/** mount(2) here, or `mount -t TYPE -o OPTIONS` in `ns`; ERR_MOUNT_FAILED either way. */
async function mountIn(ns: MountNamespace, fstype: string, flags: readonly (keyof typeof MOUNT_FLAGS)[], data: string, target: string): Promise<void> {
  const what = `mount ${fstype} at ${target}`;
  if (!isOwnNamespace(ns)) {
    const options = [...flags, data].filter((o) => o !== '').join(',');
    checkedResult(await runCommand(ns, ['mount', '-t', fstype, '-o', options, fstype, target]), what, 'ERR_MOUNT_FAILED');
    return;
  }
  try {
    mountFs(fstype, target, fstype, flags.reduce((bits, flag) => bits | MOUNT_FLAGS[flag], 0), data);
  } catch (error) {
    throw runtimeFailure('ERR_MOUNT_FAILED', `${what}: ${(error as Error).message}`, { cause: error });
  }
}

/** One unmount of `target`, detached lazily when it is busy. */
async function unmountOnce(ns: MountNamespace, target: string): Promise<void> {
  if (!isOwnNamespace(ns)) {
    const result = await runCommand(ns, ['umount', target]);
    if (result.exitCode === 0) return;
    const lazy = await runCommand(ns, ['umount', '--lazy', target]);
    if (lazy.exitCode !== 0) {
      throw runtimeFailure('ERR_UNMOUNT_FAILED', `cannot unmount ${target}: ${tail(lazy.stderr) || tail(result.stderr)}`);
    }
    return;
  }
  try {
    unmountFs(target);
  } catch (error) {
    // EINVAL: unmounted meanwhile (the caller re-reads the mount table); EBUSY: still in use.
    if (errnoCode(error) === 'EINVAL') return;
    if (errnoCode(error) !== 'EBUSY') throw runtimeFailure('ERR_UNMOUNT_FAILED', `cannot unmount ${target}: ${(error as Error).message}`, { cause: error });
    try {
      unmountFs(target, { detach: true });
    } catch (lazyError) {
      throw runtimeFailure('ERR_UNMOUNT_FAILED', `cannot unmount ${target}: ${(lazyError as Error).message}`, { cause: lazyError });
    }
  }
}

function checkOptionPath(p: string): void {
  if (/[,:\\\n]/.test(p)) throw invalidArgument('ERR_MOUNT_PATH', `cannot pass path "${p}" in mount options (contains , : \\ or a newline)`);
}

/** Options of {@link mountOverlay}. */
export interface OverlayOptions {
  /** Read-only layers, topmost first (overlayfs' lowerdir order). */
  readonly lowerDirs: readonly string[];
  /** The writable layer and overlayfs' work dir; without them the overlay is mounted read-only. */
  readonly writable?: { readonly upperDir: string; readonly workDir: string };
  readonly target: string;
}

/** Mounts an overlayfs at `target` (a no-op when something is mounted there already). */
export async function mountOverlay(ns: MountNamespace, options: OverlayOptions): Promise<boolean> {
  if (options.lowerDirs.length === 0) throw invalidArgument('ERR_MOUNT_PATH', `overlay at ${options.target} needs at least one lower dir`);
  const { writable } = options;
  for (const p of [...options.lowerDirs, ...(writable === undefined ? [] : [writable.upperDir, writable.workDir])]) checkOptionPath(p);
  const data = `lowerdir=${options.lowerDirs.join(':')}${writable === undefined ? '' : `,upperdir=${writable.upperDir},workdir=${writable.workDir}`}`;
  if (data.length >= MAX_MOUNT_OPTIONS) {
    throw invalidArgument('ERR_MOUNT_PATH', `overlay options for ${options.target} are ${data.length} bytes, over the kernel's ${MAX_MOUNT_OPTIONS}`);
  }
  if (await isMountPoint(ns, options.target)) return false;
  await mountIn(ns, 'overlay', writable === undefined ? ['rdonly'] : [], data, options.target);
  return true;
}

/** Options of {@link mountTmpfs}. */
export interface TmpfsOptions {
  readonly sizeBytes?: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** Mounts a tmpfs at `target` (a no-op when something is mounted there already). */
export async function mountTmpfs(ns: MountNamespace, target: string, options: TmpfsOptions): Promise<boolean> {
  if (await isMountPoint(ns, target)) return false;
  const data = [
    `mode=${options.mode.toString(8).padStart(4, '0')}`,
    `uid=${options.uid}`,
    `gid=${options.gid}`,
    ...(options.sizeBytes === undefined ? [] : [`size=${options.sizeBytes}`]),
  ].join(',');
  await mountIn(ns, 'tmpfs', ['nosuid', 'nodev'], data, target);
  return true;
}

/**
 * Unmounts everything stacked on `target`; returns whether anything was mounted. Idempotent:
 * nothing mounted (or no such path) is success. A busy mount is detached lazily (the kernel
 * frees it when its last user goes), so cleanup never fails for a process still inside.
 */
export async function unmount(ns: MountNamespace, target: string): Promise<boolean> {
  let found = false;
  for (let i = 0; await isMountPoint(ns, target); i++) {
    if (i >= MAX_UNMOUNTS) throw runtimeFailure('ERR_UNMOUNT_FAILED', `${target} is still mounted after ${i} unmounts`);
    found = true;
    await unmountOnce(ns, target);
  }
  return found;
}
