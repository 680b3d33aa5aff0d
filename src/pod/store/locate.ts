/**
 * @module pod/store/locate — find pods in the state directories.
 *
 * Directories are read in the order pods move through them, so a pod that moves forward while
 * we read is seen at least once; one seen twice is reported once (its later position wins).
 * Entries that are not canonical UUIDs (a stray file, an editor's leftover) are ignored.
 */
import { lstat, readdir } from 'node:fs/promises';
import { errnoCode } from '../../util/index.js';
import type { PodStore, StateDir } from './layout.js';
import { STATE_DIRS, podPath, stateDirPath } from './layout.js';
import type { PodUuid } from './uuid.js';
import { isPodUuid } from './uuid.js';

/** Where a pod was found. A snapshot: the pod may move on at any moment. */
export interface PodLocation {
  readonly uuid: PodUuid;
  readonly dir: StateDir;
  /** `<pods>/<dir>/<uuid>` */
  readonly path: string;
}

/** The pod UUIDs in one state directory (empty when the directory does not exist yet). */
export async function podsIn(store: PodStore, dir: StateDir): Promise<PodUuid[]> {
  let names: string[];
  try {
    names = await readdir(stateDirPath(store, dir));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  return names.filter(isPodUuid).sort();
}

/** Every pod in `dirs` (default: all state dirs), each once, in directory then UUID order. */
export async function locatePods(store: PodStore, dirs: readonly StateDir[] = STATE_DIRS): Promise<PodLocation[]> {
  const byUuid = new Map<PodUuid, PodLocation>();
  for (const dir of STATE_DIRS) {
    if (!dirs.includes(dir)) continue;
    for (const uuid of await podsIn(store, dir)) {
      byUuid.delete(uuid);
      byUuid.set(uuid, { uuid, dir, path: podPath(store, dir, uuid) });
    }
  }
  return [...byUuid.values()];
}

/**
 * Where the pod `uuid` is now, or undefined when it is in none of `dirs`. Every transition
 * moves a pod forward in {@link STATE_DIRS}, so looking in that order finds a pod that moves
 * while we look.
 */
export async function locatePod(
  store: PodStore,
  uuid: PodUuid,
  dirs: readonly StateDir[] = STATE_DIRS,
): Promise<PodLocation | undefined> {
  for (const dir of STATE_DIRS) {
    if (!dirs.includes(dir)) continue;
    const location = { uuid, dir, path: podPath(store, dir, uuid) };
    if (await isDirectory(location.path)) return location;
  }
  return undefined;
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isDirectory();
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
}
