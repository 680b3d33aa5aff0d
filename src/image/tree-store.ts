/**
 * @module tree-store — unpacked image trees under `images/trees/<tree id>/` (`rootfs/`,
 * `manifest`, `hash`, `layers`). A tree is assembled in a work dir and appears by one rename,
 * so a tree directory is always complete; it is only ever removed whole. Pods stack the
 * `rootfs/` of trees as overlayfs lower layers, so trees are never modified in place.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { errnoCode, fsyncDir, writeFileAtomic } from '../util/index.js';
import type { ImageId } from './image-id.js';
import { isImageId } from './image-id.js';
import type { StoreLayout, TreeId } from './store-layout.js';
import type { TreeHash } from './tree-hash.js';

const execFileAsync = promisify(execFile);

/** A complete tree in the tree store. */
export interface StoredTree {
  readonly id: TreeId;
  /** The tree directory (holding rootfs/, manifest, hash, layers). */
  readonly path: string;
  readonly rootfs: string;
  /** The images whose content the tree holds, lowest first. */
  readonly layers: readonly ImageId[];
  /**
   * The tree hash recorded when the tree was made; undefined for a tree an import made, whose
   * hash is derived from the image's blob when it is first verified (store-render.ts).
   */
  readonly hash: TreeHash | undefined;
}

/** Written as the `hash` of a tree whose hash was not computed when it was made. */
const HASH_FROM_BLOB = 'from-blob';

/**
 * The tree ID for a list of layers: an image's own tree is named by its image ID; a tree that
 * merges dependencies or applies a pathWhitelist is `deps-` + 64 hex digits of the SHA-512 of
 * the layer IDs (the whitelists are part of those images, so the IDs determine the tree).
 */
export function treeIdFor(layers: readonly ImageId[], filtered: boolean): TreeId {
  const [only] = layers;
  if (layers.length === 1 && only !== undefined && !filtered) return only;
  const digest = createHash('sha512').update(`${layers.join(',')}${filtered ? ',whitelist' : ''}`).digest('hex');
  return `deps-${digest.slice(0, 64)}`;
}

/** True for names the tree store uses. */
export function isTreeId(name: string): boolean {
  return isImageId(name) || /^deps-[0-9a-f]{64}$/.test(name);
}

/**
 * Write the `hash` and `layers` files of a tree being assembled in `workTree`; `hash`
 * undefined: to be derived from the blob of its single layer.
 */
export async function writeTreeMeta(workTree: string, hash: TreeHash | undefined, layers: readonly ImageId[]): Promise<void> {
  await writeTreeHash(workTree, hash);
  await writeFileAtomic(path.join(workTree, 'layers'), `${layers.join('\n')}\n`);
}

/** Replace the `hash` file of the tree directory `dir` (atomically). */
export async function writeTreeHash(dir: string, hash: TreeHash | undefined): Promise<void> {
  await writeFileAtomic(path.join(dir, 'hash'), `${hash ?? HASH_FROM_BLOB}\n`);
}

/**
 * Flush the filesystem holding `file` (syncfs via coreutils `sync -f`): one call makes a whole
 * freshly written tree durable before it is committed, instead of an fsync per file.
 */
export async function syncFileSystem(file: string): Promise<void> {
  await execFileAsync('sync', ['-f', file]);
}

/**
 * Move an assembled tree into the store. Call with the exclusive store lock held. Returns false
 * (and moves nothing) when a tree with that ID is already there: trees are immutable and
 * content-addressed, so the existing one is as good.
 */
export async function installTree(layout: StoreLayout, workTree: string, id: TreeId): Promise<boolean> {
  if ((await readTree(layout, id)) !== undefined) return false;
  // An incomplete directory cannot exist here (trees appear by rename), but a tree whose
  // metadata was lost is replaced rather than trusted.
  await rm(layout.tree(id), { recursive: true, force: true });
  await rename(workTree, layout.tree(id));
  await fsyncDir(layout.trees);
  return true;
}

/** The tree `id`, or undefined when it is not in the store. */
export async function readTree(layout: StoreLayout, id: TreeId): Promise<StoredTree | undefined> {
  const dir = layout.tree(id);
  let hash: string;
  let layers: string;
  try {
    hash = (await readFile(path.join(dir, 'hash'), 'utf8')).trim();
    layers = await readFile(path.join(dir, 'layers'), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const ids = layers.split('\n').filter((line) => line !== '').filter(isImageId);
  return { id, path: dir, rootfs: path.join(dir, 'rootfs'), layers: ids, hash: hash === HASH_FROM_BLOB ? undefined : hash };
}

/** IDs of every tree directory in the store. */
export async function listTrees(layout: StoreLayout): Promise<TreeId[]> {
  return (await readdir(layout.trees)).filter(isTreeId);
}

/** Remove a tree whole. Call with the exclusive store lock held. */
export async function removeTree(layout: StoreLayout, id: TreeId): Promise<void> {
  await rm(layout.tree(id), { recursive: true, force: true });
}
