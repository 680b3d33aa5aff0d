/**
 * @module pod/store/delete — remove a pod directory for good, safely and resumably.
 *
 * A recursive delete must never descend into a mount: a leftover bind mount of a host volume
 * inside an app's rootfs would have the host's files deleted. So deletion first reads
 * /proc/self/mountinfo and refuses while anything is mounted at or below the pod directory
 * (the runtime's `beforeDelete` hook unmounts first). Then everything but the lock file goes,
 * then the lock file, then the directory: a delete cut short leaves a directory that is still
 * a pod (in `garbage/`) and can be deleted again. Missing entries are fine (a half-deleted pod,
 * or another gc that got there first).
 */
import { readFile, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition } from '../../util/index.js';
import { POD_FILES } from './layout.js';

const MOUNTINFO = '/proc/self/mountinfo';
/** How many mount points a message names before it says "and N more". */
const SHOWN_MOUNTS = 3;

/** Undo mountinfo's octal escapes (`\040` is a space). */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Mount points at or below `dir` (a real path: symlinks resolved), deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile(MOUNTINFO, 'utf8');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = unescapeMountPath(field);
    if (point === dir || point.startsWith(prefix)) found.add(point);
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/**
 * Delete the pod directory `dir`. Throws `ERR_POD_MOUNTS_LEFT` (and deletes nothing) while
 * something is mounted inside it. A directory that does not exist is already deleted.
 * Returns true when this call removed the directory: two processes can delete one pod at once
 * (the one holding its lock unlinks the lock file last, and a gc that then finds a pod without
 * one finishes it as a crash's leftover), and only the one whose rmdir won may say it did.
 */
export async function deletePodDir(dir: string): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  const mounts = await mountsUnder(real);
  if (mounts.length > 0) {
    const shown = mounts.slice(0, SHOWN_MOUNTS).map((m) => `"${m}"`).join(', ');
    const more = mounts.length > SHOWN_MOUNTS ? ` and ${mounts.length - SHOWN_MOUNTS} more` : '';
    throw failedPrecondition('ERR_POD_MOUNTS_LEFT', `cannot delete pod directory "${dir}": still mounted: ${shown}${more}`, {
      hint: 'unmount them (umount -R) and run gc again',
    });
  }
  let names: string[];
  try {
    names = await readdir(real);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  for (const name of names) {
    if (name !== POD_FILES.lock) await rm(path.join(real, name), { recursive: true, force: true });
  }
  await rm(path.join(real, POD_FILES.lock), { force: true });
  try {
    await rmdir(real);
    return true;
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    return false;
  }
}
