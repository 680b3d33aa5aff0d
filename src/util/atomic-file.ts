/**
 * @module atomic-file — crash-safe file replacement.
 *
 * Readers of a path written here see either the old complete content or the new complete
 * content, never a mix: the data goes to a temp file in the same directory, is fsynced, renamed
 * over the target, and the directory is fsynced so the rename itself survives a crash.
 * Temp files are named `.<base>.tmp-<random>`; a crash can leave one behind, which
 * {@link isAtomicTempName} lets a cleaner recognise.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from './errors.js';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Permission bits of the new file, applied exactly (the umask does not matter). Default 0o644. */
  readonly mode?: number;
  /**
   * fsync the file and its directory (default true). `false` keeps the replacement atomic for
   * readers but not across a crash: for runtime files that only matter while their pod runs
   * and are rewritten whenever it starts (a bundle's config.json, a pod's hosts file).
   */
  readonly durable?: boolean;
  /**
   * With `durable`, also fsync the directory after the rename (default true). `false` when the
   * caller fsyncs that directory itself once after writing several files into it (a pod's
   * files before the pod leaves `prepare/`): the data is durable, the names once the caller syncs.
   */
  readonly syncDirectory?: boolean;
}

const TEMP_MARK = '.tmp-';

/** The temp name used for `target` (a dot file in the same directory, so rename stays atomic). */
function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}${TEMP_MARK}${randomBytes(6).toString('hex')}`);
}

/** True for names that {@link writeFileAtomic} uses for its temp files. */
export function isAtomicTempName(name: string): boolean {
  return name.startsWith('.') && name.includes(TEMP_MARK);
}

/**
 * fsync a directory so that renames, creations and removals of its entries are durable.
 * Throws the underlying system error (ENOENT, EACCES …).
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Atomically replace `target` with `data`: write a temp file beside it, fsync it, rename it over
 * `target`, fsync the directory. On failure the temp file is removed and `target` is untouched.
 * The parent directory must exist.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o644;
  const durable = options.durable ?? true;
  const temp = tempPathFor(target);
  const handle = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  let renamed = false;
  try {
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    renamed = true;
    if (durable && options.syncDirectory !== false) await fsyncDir(path.dirname(target));
  } finally {
    if (!renamed) await removeIfPresent(temp);
  }
}

/** Atomically replace `target` with `value` serialised as JSON (two-space indent, trailing newline). */
export async function writeJsonAtomic(target: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`, options);
}

/**
 * Rename `from` to `to` and fsync the directories involved, so the move is durable.
 * Fails like rename(2) (for instance ENOTEMPTY/EEXIST when `to` is a non-empty directory).
 */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  const fromDir = path.dirname(from);
  const toDir = path.dirname(to);
  await fsyncDir(toDir);
  if (fromDir !== toDir) await fsyncDir(fromDir);
}

async function removeIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}
