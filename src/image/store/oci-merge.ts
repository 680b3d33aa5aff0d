/**
 * @module store/oci-merge — the fallback for images with more layers than one overlay mount
 * can stack: the layer trees merged, base first, into one tree (`trees/deps-<64 hex>`), as
 * overlayfs would show them. Before a layer is copied over the merge, the directories it marks
 * opaque are emptied in the merge; its whiteouts (character devices 0/0) are copied as they
 * are, replacing what they hide: in a single lower layer overlayfs still reads them as
 * whiteouts, so the container sees nothing there. Used only beyond the limit: below it, pods
 * stack the layer trees themselves and nothing is copied.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, withLock } from '../../util/index.js';
import { OVERLAY_OPAQUE_XATTR } from '../format/oci/whiteout.js';
import { copyTreeOver } from '../tree/tree-copy.js';
import { readXattrs } from '../tree/xattr.js';
import type { ImageRecord } from './image-record.js';
import type { StoreLayout, TreeId } from './store-layout.js';
import { createWorkDir } from './store-workdir.js';
import { installTree, layerTreeId, markUnflushed, readTree, readUsableTree, writeTreeMeta } from './tree-store.js';

/** overlayfs stacks at most this many lower layers (OVL_MAX_STACK). */
const MAX_LOWER_LAYERS = 500;
/**
 * The mount options (`lowerdir=…,upperdir=…,workdir=…`) must fit in one page (4096 bytes):
 * the lower dirs may take this much, leaving room for the app's upper and work dirs.
 */
const MAX_LOWERDIR_BYTES = 3000;

/** True when `trees` (their rootfs paths) cannot be stacked by one overlay mount. */
export function needsMerge(layout: StoreLayout, trees: readonly TreeId[]): boolean {
  const bytes = trees.reduce((sum, id) => sum + path.join(layout.tree(id), 'rootfs').length + 1, 0);
  return trees.length > MAX_LOWER_LAYERS || bytes > MAX_LOWERDIR_BYTES;
}

/** The merged tree's ID: `deps-` + 64 hex digits of the SHA-512 of the layers' DiffIDs. */
export function mergedTreeId(record: ImageRecord): TreeId {
  const diffIds = record.oci?.layers.map((layer) => layer.diffId) ?? [];
  return `deps-${createHash('sha512').update(`oci:${diffIds.join(',')}`).digest('hex').slice(0, 64)}`;
}

/** Directories (relative) of `root` that carry the opaque xattr. */
export async function opaqueDirs(root: string, rel = ''): Promise<string[]> {
  const dir = rel === '' ? root : path.join(root, rel);
  const found: string[] = [];
  const handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
  try {
    if ((await readXattrs(handle.fd)).has(OVERLAY_OPAQUE_XATTR)) found.push(rel);
  } finally {
    await handle.close();
  }
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...(await opaqueDirs(root, rel === '' ? entry.name : `${rel}/${entry.name}`)));
  }
  return found;
}

/** Empty `dest/rel` when it is a real directory (never through a symlink). */
export async function emptyDir(dest: string, rel: string): Promise<void> {
  const dir = rel === '' ? dest : path.join(dest, rel);
  try {
    if (!(await lstat(dir)).isDirectory()) return;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
    throw error;
  }
  for (const name of await readdir(dir)) await rm(path.join(dir, name), { recursive: true, force: true });
}

/**
 * The merged tree of `record` (an OCI image), made from its layer trees when missing or stale.
 * The layer trees must be usable (ensureOciTrees).
 */
export async function ensureMergedTree(layout: StoreLayout, record: ImageRecord, signal?: AbortSignal): Promise<TreeId> {
  const id = mergedTreeId(record);
  if ((await readUsableTree(layout, id)) !== undefined) return id;
  const layers = record.oci?.layers ?? [];
  const work = await createWorkDir(layout, signal);
  try {
    const treePath = path.join(work.path, 'tree');
    const rootfs = path.join(treePath, 'rootfs');
    await mkdir(rootfs, { recursive: true, mode: 0o755 });
    await withLock(layout.lock, 'shared', async () => {
      for (const layer of layers) {
        const source = path.join(layout.tree(layerTreeId(layer.diffId)), 'rootfs');
        for (const dir of await opaqueDirs(source)) await emptyDir(rootfs, dir);
        await copyTreeOver(source, rootfs);
      }
    }, { signal });
    await writeTreeMeta(treePath, undefined, [record.id]);
    await markUnflushed(treePath);
    await withLock(layout.lock, 'exclusive', () => installTree(layout, treePath, id), { signal });
  } finally {
    await work.release();
  }
  if ((await readTree(layout, id)) === undefined) throw new Error(`tree ${id} vanished right after it was installed`);
  return id;
}
