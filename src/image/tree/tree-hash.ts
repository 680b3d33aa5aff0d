/**
 * @module tree-hash — a digest of a rendered tree, to detect later modification.
 *
 * One line per entry, in sorted path order: path, type, permission bits, uid:gid and a payload
 * (regular file: size + SHA-256 of the content; symlink: target; device: major,minor). The whole
 * is SHA-256'd (SHA-256 rather than SHA-512: it runs twice as fast with the CPU's SHA
 * extensions and collisions are not the threat here). Timestamps and xattrs are left out: they
 * change legitimately (atime, copy-up) or cannot be read on every entry type.
 * When an unpack computes it (aci-unpack.ts, for the first verify of an imported tree: an
 * import itself leaves it to then), the file digests come from the extraction pass, so file data
 * is read once, and the writer records what it made ({@link TreeHashRecorder}), so the fresh
 * tree is not walked.
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

/** One line of the hashed listing. */
function entryLine(rel: string, type: string, mode: number, uid: number, gid: number, payload: string): string {
  return `${JSON.stringify(rel)} ${type} ${(mode & 0o7777).toString(8)} ${uid}:${gid} ${payload}\n`;
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
    hash.update(entryLine(rel, typeOf(stats), stats.mode, stats.uid, stats.gid, payload));
    if (!stats.isDirectory()) continue;
    const names = readdirSync(abs).sort();
    for (let index = names.length - 1; index >= 0; index -= 1) stack.push(rel === '' ? (names[index] ?? '') : `${rel}/${names[index] ?? ''}`);
  }
  return `${TREE_HASH_PREFIX}${hash.digest('hex')}`;
}

/** An entry as lstat would report it after the writer made it. */
interface RecordedEntry {
  readonly type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Regular file: its size (the digest is added at the end); others: the payload. */
  readonly payload: string | number;
}

/**
 * Records what a tree writer creates, so the tree hash of a freshly written tree needs no walk:
 * {@link hash} gives exactly what {@link hashTree} would compute from the disk (the import's
 * tests compare the two). A writer that did something the recorder cannot model (a process
 * that cannot choose ownership, an ACL that changes mode bits) calls {@link inexact}, and the
 * caller walks instead.
 */
export class TreeHashRecorder {
  readonly #entries = new Map<string, RecordedEntry | { readonly linkTo: string }>();
  #exact = true;

  /** A regular file of `size` bytes (its digest comes with {@link hash}). */
  file(rel: string, mode: number, uid: number, gid: number, size: number): void {
    this.#entries.set(rel, { type: 'file', mode, uid, gid, payload: size });
  }

  dir(rel: string, mode: number, uid: number, gid: number): void {
    this.#entries.set(rel, { type: 'dir', mode, uid, gid, payload: '-' });
  }

  /** Symlinks always have mode 0777 on Linux. */
  symlink(rel: string, target: string, uid: number, gid: number): void {
    this.#entries.set(rel, { type: 'symlink', mode: 0o777, uid, gid, payload: JSON.stringify(target) });
  }

  node(rel: string, type: 'char' | 'block' | 'fifo', mode: number, uid: number, gid: number, major: number, minor: number): void {
    this.#entries.set(rel, { type, mode, uid, gid, payload: type === 'fifo' ? '-' : `${major},${minor}` });
  }

  /** A hardlink shares its target's inode: same type, mode, owner and content. */
  hardlink(rel: string, targetRel: string): void {
    this.#entries.set(rel, { linkTo: targetRel });
  }

  inexact(): void {
    this.#exact = false;
  }

  /**
   * The tree hash, given the SHA-256 of every regular file by path; undefined when the record
   * is not exact or a digest is missing (then walk the tree with {@link hashTree}).
   */
  hash(digests: ReadonlyMap<string, string>): TreeHash | undefined {
    if (!this.#exact) return undefined;
    // hashTree visits depth-first with each directory's names sorted: component-wise order.
    const rels = [...this.#entries.keys()].map((rel) => ({ rel, parts: rel === '' ? [] : rel.split('/') }));
    rels.sort((a, b) => comparePaths(a.parts, b.parts));
    const hash = createHash('sha256');
    for (const { rel } of rels) {
      let entry = this.#entries.get(rel);
      let inode = rel;
      while (entry !== undefined && 'linkTo' in entry) {
        inode = entry.linkTo;
        entry = this.#entries.get(inode);
      }
      if (entry === undefined) return undefined;
      let { payload } = entry;
      if (typeof payload === 'number') {
        const digest = digests.get(inode);
        if (digest === undefined) return undefined;
        payload = `${payload} ${digest}`;
      }
      hash.update(entryLine(rel, entry.type, entry.mode, entry.uid, entry.gid, payload));
    }
    return `${TREE_HASH_PREFIX}${hash.digest('hex')}`;
  }
}

function comparePaths(a: readonly string[], b: readonly string[]): number {
  const common = Math.min(a.length, b.length);
  for (let index = 0; index < common; index += 1) {
    const x = a[index] ?? '';
    const y = b[index] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
