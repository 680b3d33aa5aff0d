/**
 * @module pod/stage1/exec-check — find the app's executable in its rootfs before starting it,
 * so a missing binary is a clear error naming the image rather than crun's bare failure.
 *
 * Lookup follows execvp(3): a name with a `/` is taken as is (relative to the working
 * directory), a bare name is searched in the app's PATH (an empty entry = the working
 * directory). Symlinks are resolved inside the rootfs.
 */
import { notFound, permissionDenied } from '../../util/index.js';
import path from 'node:path';
import { DEFAULT_PATH } from './oci-defaults.js';
import { resolveInRoot } from './safe-path.js';

/** What to look for. */
export interface ExecutableQuery {
  /** The app, for messages. */
  readonly app: string;
  /** Names the image in messages (e.g. its name or ID). */
  readonly image: string;
  /** `args[0]` */
  readonly exec: string;
  /** The app's PATH (default: {@link DEFAULT_PATH}). */
  readonly searchPath?: string;
  /** Absolute working directory inside the app. */
  readonly cwd: string;
}

/**
 * The executable's resolved path inside the rootfs reachable at `hostRoot`. Throws
 * ERR_APP_EXEC_MISSING (not-found) when nothing by that name exists and
 * ERR_APP_EXEC_NOT_EXECUTABLE (permission-denied) when only non-executable files do.
 */
export async function findExecutable(hostRoot: string, query: ExecutableQuery): Promise<string> {
  const { exec } = query;
  const candidates = exec.includes('/')
    ? [path.posix.resolve(query.cwd, exec)]
    : (query.searchPath ?? DEFAULT_PATH).split(':').map((dir) => path.posix.resolve(query.cwd, dir === '' ? '.' : dir, exec));
  let notExecutable: string | undefined;
  for (const candidate of candidates) {
    const resolved = await resolveInRoot(hostRoot, candidate);
    const stats = resolved.stats;
    if (stats === undefined || stats.isDirectory()) continue;
    if (stats.isFile() && (stats.mode & 0o111) !== 0) return resolved.path;
    notExecutable ??= candidate;
  }
  if (notExecutable !== undefined) {
    throw permissionDenied('ERR_APP_EXEC_NOT_EXECUTABLE', `app "${query.app}": "${notExecutable}" in image ${query.image} is not an executable file`);
  }
  const where = exec.includes('/') ? '' : ` (searched PATH ${query.searchPath ?? DEFAULT_PATH})`;
  throw notFound('ERR_APP_EXEC_MISSING', `app "${query.app}": executable "${exec}" not found in image ${query.image}${where}`, {
    hint: 'check the image\'s exec/entrypoint or give the app a command that exists in the image',
  });
}
