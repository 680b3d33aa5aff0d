/**
 * @module tree-hash — a digest of a rendered tree, to detect later modification.
 *
 * One line per entry, in sorted path order: path, type, permission bits, uid:gid and a payload
 * (regular file: size + SHA-256 of the content; symlink: target; device: major,minor). The whole
 * is SHA-256'd (SHA-256 rather than SHA-512: it runs twice as fast with the CPU's SHA
 * extensions and collisions are not the threat here). Timestamps and xattrs are left out: they
 * change legitimately (atime, copy-up) or cannot be read on every entry type.
 * During import the file digests come from the extraction pass, so file data is read once.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';

const TREE_HASH_PREFIX = 'sha256-';

/** Digest of a tree: `sha256-` + 64 hex digits. */
export type TreeHash = string;

function typeOf(stats: Stats): string {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFIFO()) return 'fifo';
  return 'socket';
}

/** Linux's `major(dev)` / `minor(dev)` split of a device number. */
function deviceNumbers(rdev: number): string {
  const value = BigInt(rdev);
  const major = ((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn);
  const minor = (value & 0xffn) | ((value >> 12n) & ~0xffn);
  return `${major},${minor}`;
}

/** SHA-256 (hex) of a file's content, read without following a symlink. */
export async function digestFile(file: string): Promise<string> {
  const handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return hash.digest('hex');
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/**
 * Hash the tree under `root`. `knownDigests` (rootfs-relative path → SHA-256 hex) skips reading
 * files whose content digest is already known.
 */
export async function hashTree(root: string, knownDigests?: ReadonlyMap<string, string>): Promise<TreeHash> {
  const hash = createHash('sha256');
  // Depth-first in sorted order with an explicit stack: awaiting only when a file must be read
  // (not once per entry) keeps the walk of a freshly imported tree to its lstat calls.
  const stack = [''];
  for (let rel = stack.pop(); rel !== undefined; rel = stack.pop()) {
    const abs = rel === '' ? root : path.join(root, rel);
    // Synchronous metadata calls: a walk of thousands of entries is round-trip bound otherwise.
    const stats = lstatSync(abs);
    let payload = '-';
    if (stats.isFile()) payload = `${stats.size} ${knownDigests?.get(rel) ?? (await digestFile(abs))}`;
    else if (stats.isSymbolicLink()) payload = JSON.stringify(readlinkSync(abs));
    else if (stats.isCharacterDevice() || stats.isBlockDevice()) payload = deviceNumbers(stats.rdev);
    hash.update(`${JSON.stringify(rel)} ${typeOf(stats)} ${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid} ${payload}\n`);
    if (!stats.isDirectory()) continue;
    const names = readdirSync(abs).sort();
    for (let index = names.length - 1; index >= 0; index -= 1) stack.push(rel === '' ? (names[index] ?? '') : `${rel}/${names[index] ?? ''}`);
  }
  return `${TREE_HASH_PREFIX}${hash.digest('hex')}`;
}
