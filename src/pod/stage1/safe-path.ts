/**
 * @module pod/stage1/safe-path — walk a path inside an app's rootfs the way a chroot would,
 * without ever letting the kernel follow a symlink of the image on the host.
 *
 * Every component is lstat'ed; a symlink is read and its target spliced into the walk (an
 * absolute target restarts at the rootfs, not at the host's /); a `..` that would leave the
 * rootfs is refused (ERR_ROOTFS_PATH_ESCAPE) rather than clamped, because an image that
 * points out of itself is broken or hostile. Creation (mount targets) uses mkdir and
 * O_CREAT|O_EXCL|O_NOFOLLOW on paths whose every parent was just checked to be a real
 * directory. Runs before the app starts, when nothing inside the rootfs moves.
 */
import type { Stats } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition, permissionDenied } from '../../util/index.js';

// Linux's own limit on symlinks followed in one lookup (ELOOP).
const MAX_SYMLINKS = 40;

/** Where a path of the rootfs really leads. */
export interface RootfsPath {
  /** Clean absolute path inside the rootfs, symlinks resolved (for the part that exists). */
  readonly path: string;
  /** lstat of the final component, or undefined when it (or a parent) does not exist. */
  readonly stats: Stats | undefined;
  /** How many leading components of `path` exist (all of them when `stats` is set). */
  readonly existingDepth: number;
}

const split = (p: string): string[] => p.split('/').filter((c) => c !== '' && c !== '.');

function escapeError(root: string, original: string): never {
  throw permissionDenied('ERR_ROOTFS_PATH_ESCAPE', `path "${original}" in rootfs ${root} leads outside of it (through a symlink or "..")`);
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Joins components, folding `..` lexically; refuses to climb above the root. */
function lexicalJoin(hostRoot: string, original: string, components: readonly string[]): string {
  const out: string[] = [];
  for (const c of components) {
    if (c !== '..') out.push(c);
    else if (out.pop() === undefined) escapeError(hostRoot, original);
  }
  return `/${out.join('/')}`;
}

/**
 * Resolves `p` inside `hostRoot` (the rootfs as this process reaches it). `followFinal`:
 * resolve a symlink in the last component too (default true). A missing component ends the
 * walk; the rest is appended lexically.
 */
export async function resolveInRoot(hostRoot: string, p: string, options: { followFinal?: boolean } = {}): Promise<RootfsPath> {
  const followFinal = options.followFinal ?? true;
  const stack: string[] = [];
  const pending = split(p);
  let hops = 0;
  while (pending.length > 0) {
    const component = pending.shift() as string;
    if (component === '..') {
      if (stack.pop() === undefined) escapeError(hostRoot, p);
      continue;
    }
    const host = path.join(hostRoot, ...stack, component);
    const stats = await lstatOrUndefined(host);
    if (stats === undefined) {
      const rest = [component, ...pending];
      // `missing/..` cannot be walked on disk; fold it lexically and walk the result again.
      if (rest.includes('..')) return resolveInRoot(hostRoot, lexicalJoin(hostRoot, p, [...stack, ...rest]), options);
      return { path: `/${[...stack, ...rest].join('/')}`, stats: undefined, existingDepth: stack.length };
    }
    if (stats.isSymbolicLink() && (pending.length > 0 || followFinal)) {
      if (++hops > MAX_SYMLINKS) throw failedPrecondition('ERR_ROOTFS_SYMLINK_LOOP', `too many symlinks resolving "${p}" in rootfs ${hostRoot}`);
      const target = await readlink(host);
      if (target.startsWith('/')) stack.length = 0;
      pending.unshift(...split(target));
      continue;
    }
    if (pending.length > 0 && !stats.isDirectory()) {
      throw failedPrecondition('ERR_ROOTFS_NOT_A_DIRECTORY', `"/${[...stack, component].join('/')}" in rootfs ${hostRoot} is not a directory (resolving "${p}")`);
    }
    stack.push(component);
    if (pending.length === 0) return { path: `/${stack.join('/')}`, stats, existingDepth: stack.length };
  }
  return { path: `/${stack.join('/')}`, stats: await lstat(path.join(hostRoot, ...stack)), existingDepth: stack.length };
}

/** The host path (as this process reaches it) of a resolved rootfs path. */
export function hostPathOf(hostRoot: string, resolved: string): string {
  return resolved === '/' ? hostRoot : path.join(hostRoot, resolved);
}

export type MountTargetKind = 'directory' | 'file';

/**
 * Makes sure a mount target for `p` exists inside the rootfs and returns its resolved path
 * (what the OCI config must name). Missing directories are created with mode 0755, a missing
 * file target as an empty 0644 file. An existing target of the other kind is
 * ERR_MOUNT_TARGET_TYPE (failed-precondition).
 */
export async function ensureMountTarget(hostRoot: string, p: string, kind: MountTargetKind): Promise<string> {
  const resolved = await resolveInRoot(hostRoot, p);
  if (resolved.path === '/') throw failedPrecondition('ERR_MOUNT_TARGET_TYPE', `cannot mount over the root of rootfs ${hostRoot} ("${p}")`);
  if (resolved.stats !== undefined) {
    checkKind(hostRoot, p, resolved.stats, kind);
    return resolved.path;
  }
  const components = split(resolved.path);
  for (let i = resolved.existingDepth; i < components.length; i++) {
    const host = path.join(hostRoot, ...components.slice(0, i + 1));
    const last = i === components.length - 1;
    if (last && kind === 'file') await createFile(host);
    else await createDirectory(host);
    // Something may already be there (a concurrent prepare): accept it only as the right kind.
    const stats = await lstat(host);
    checkKind(hostRoot, `/${components.slice(0, i + 1).join('/')}`, stats, last ? kind : 'directory');
  }
  return resolved.path;
}

function checkKind(hostRoot: string, p: string, stats: Stats, kind: MountTargetKind): void {
  const ok = kind === 'directory' ? stats.isDirectory() : !stats.isDirectory() && !stats.isSymbolicLink();
  if (!ok) {
    const actual = stats.isDirectory() ? 'a directory' : stats.isSymbolicLink() ? 'a symlink' : 'not a directory';
    throw failedPrecondition('ERR_MOUNT_TARGET_TYPE', `mount target "${p}" in rootfs ${hostRoot} is ${actual}, but a ${kind} is mounted there`);
  }
}

async function createDirectory(host: string): Promise<void> {
  try {
    await mkdir(host, { mode: 0o755 });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
}

async function createFile(host: string): Promise<void> {
  try {
    const handle = await open(host, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o644);
    await handle.close();
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
}

/**
 * Reads a file of the rootfs (symlinks resolved inside it); undefined when it does not exist.
 * The final open uses O_NOFOLLOW, so a swapped-in symlink fails instead of leading out.
 */
export async function readFileInRoot(hostRoot: string, p: string): Promise<string | undefined> {
  const resolved = await resolveInRoot(hostRoot, p);
  if (resolved.stats === undefined) return undefined;
  const handle = await open(hostPathOf(hostRoot, resolved.path), fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
