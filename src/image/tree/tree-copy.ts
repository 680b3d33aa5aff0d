/**
 * @module tree-copy — copy one rendered tree over another (appc rendering: later layers
 * overwrite earlier ones) and apply a pathWhitelist. Nothing is ever followed: an entry in the
 * way is removed first (a symlink-to-directory is replaced, never written through), parents
 * are created before children, and files are created with O_EXCL|O_NOFOLLOW. Metadata
 * (owner, mode, xattrs, times) is copied; directory metadata last, deepest first.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { errnoCode } from '../../util/index.js';
import { readXattrs, setXattr } from './xattr.js';

const execFileAsync = promisify(execFile);
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = fsConstants;
const COPY_CHUNK = 1024 * 1024;

interface CopyState {
  readonly skipXattrs: ReadonlySet<string>;
  readonly src: string;
  readonly dest: string;
  readonly owners: boolean;
  readonly inodes: Map<string, string>;
  readonly dirs: { rel: string; stats: Stats }[];
}

/**
 * Copy every entry of `src` into `dest` (which exists), replacing what is in the way; the
 * extended attributes named in `skipXattrs` are not copied.
 */
export async function copyTreeOver(src: string, dest: string, options: { readonly skipXattrs?: readonly string[] } = {}): Promise<void> {
  const state: CopyState = { skipXattrs: new Set(options.skipXattrs), src, dest, owners: process.getuid?.() === 0, inodes: new Map(), dirs: [] };
  await copyEntry(state, '');
  state.dirs.sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
  for (const { rel, stats } of state.dirs) await copyDirMetadata(state, rel, stats);
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function copyEntry(state: CopyState, rel: string): Promise<void> {
  const from = rel === '' ? state.src : path.join(state.src, rel);
  const to = rel === '' ? state.dest : path.join(state.dest, rel);
  const stats = await lstat(from);
  const existing = await lstatOrUndefined(to);
  if (stats.isDirectory()) {
    if (existing !== undefined && !existing.isDirectory()) await rm(to, { force: true });
    if (existing === undefined || !existing.isDirectory()) await mkdir(to, { mode: 0o700 });
    state.dirs.push({ rel, stats });
    for (const name of (await readdir(from)).sort()) await copyEntry(state, rel === '' ? name : `${rel}/${name}`);
    return;
  }
  if (existing !== undefined) await rm(to, { recursive: true, force: true });
  const inode = `${stats.dev}:${stats.ino}`;
  const linked = stats.nlink > 1 ? state.inodes.get(inode) : undefined;
  if (linked !== undefined) return link(linked, to);
  if (stats.isFile()) await copyFile(state, from, to, stats);
  else if (stats.isSymbolicLink()) {
    await symlink(await readlink(from), to);
    if (state.owners) await lchown(to, stats.uid, stats.gid);
    // Seconds as numbers, not stats' Dates: those are rounded to the millisecond (0.9996 s
    // would become the next second).
    await lutimes(to, stats.atimeMs / 1000, stats.mtimeMs / 1000);
  } else {
    await copyNode(state, to, stats);
  }
  if (stats.nlink > 1) state.inodes.set(inode, to);
}

async function copyFile(state: CopyState, from: string, to: string, stats: Stats): Promise<void> {
  const source = await open(from, O_RDONLY | O_NOFOLLOW);
  try {
    const target = await open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      const buffer = Buffer.allocUnsafe(COPY_CHUNK);
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        let offset = 0;
        while (offset < bytesRead) offset += (await target.write(buffer, offset, bytesRead - offset)).bytesWritten;
      }
      if (state.owners) await target.chown(stats.uid, stats.gid);
      await target.chmod(stats.mode & 0o7777);
      for (const [name, value] of await readXattrs(source.fd)) if (!state.skipXattrs.has(name)) await setXattr(target.fd, name, value);
      await target.utimes(stats.atimeMs / 1000, stats.mtimeMs / 1000);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function copyNode(state: CopyState, to: string, stats: Stats): Promise<void> {
  const rdev = BigInt(stats.rdev);
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  let args: string[];
  if (stats.isFIFO()) args = ['p'];
  else if (stats.isCharacterDevice()) args = ['c', String(major), String(minor)];
  else if (stats.isBlockDevice()) args = ['b', String(major), String(minor)];
  else return; // sockets are never part of an image
  await execFileAsync('mknod', [to, ...args]);
  if (state.owners) await lchown(to, stats.uid, stats.gid);
  await chmod(to, stats.mode & 0o7777);
  await lutimes(to, stats.atimeMs / 1000, stats.mtimeMs / 1000);
}

async function copyDirMetadata(state: CopyState, rel: string, stats: Stats): Promise<void> {
  const source = await open(rel === '' ? state.src : path.join(state.src, rel), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    const target = await open(rel === '' ? state.dest : path.join(state.dest, rel), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      if (state.owners) await target.chown(stats.uid, stats.gid);
      await target.chmod(stats.mode & 0o7777);
      for (const [name, value] of await readXattrs(source.fd)) if (!state.skipXattrs.has(name)) await setXattr(target.fd, name, value);
      await target.utimes(stats.atimeMs / 1000, stats.mtimeMs / 1000);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * Keep only whitelisted paths under `root`: a path stays when it is listed, is an ancestor of
 * a listed path (so the path can be reached), or lies inside a listed directory.
 */
export async function applyPathWhitelist(root: string, whitelist: readonly string[]): Promise<void> {
  if (whitelist.length === 0) return;
  const listed = whitelist.map((entry) => entry.replace(/^\/+|\/+$/g, ''));
  const keep = (rel: string): boolean =>
    listed.some((entry) => entry === rel || entry.startsWith(`${rel}/`) || rel.startsWith(`${entry}/`));
  const visit = async (rel: string): Promise<void> => {
    for (const name of await readdir(path.join(root, rel))) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (!keep(child)) await rm(path.join(root, child), { recursive: true, force: true });
      else if ((await lstat(path.join(root, child))).isDirectory()) await visit(child);
    }
  };
  await visit('');
}
