/**
 * @module tree-fs — file system helpers of the tree writer (tree-writer.ts): node creation,
 * existence checks and the owner new files get.
 */
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { lstatSync } from 'node:fs';
import { promisify } from 'node:util';
import { errnoCode } from '../../util/index.js';
import type { TarEntry } from '../archive/tar-entry.js';

const execFileAsync = promisify(execFile);

/**
 * Create the fifo or device node `entry` describes at `file`. Node has no mknod(2)/mkfifo(3);
 * the coreutils command does it. Rejects with mknod's error (its `stderr` says why).
 */
export async function makeNode(file: string, entry: TarEntry): Promise<void> {
  const kind = entry.type === 'fifo' ? ['p'] : [entry.type === 'char-device' ? 'c' : 'b', String(entry.devmajor), String(entry.devminor)];
  await execFileAsync('mknod', [file, ...kind]);
}

/** Who owns a file created below `root`, or undefined when a setgid bit makes that vary. */
export function newFileOwner(root: string): { uid: number; gid: number } | undefined {
  const stats = lstatSync(root);
  const uid = process.geteuid?.();
  const gid = process.getegid?.();
  if ((stats.mode & 0o2000) !== 0 || uid === undefined || gid === undefined) return undefined;
  return { uid, gid };
}

/** Path components in a rootfs-relative path (`''` is 0). */
export function depth(rel: string): number {
  return rel === '' ? 0 : rel.split('/').length;
}

export function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
