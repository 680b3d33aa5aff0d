/**
 * @module tree-store — unpacked image trees under `images/trees/<tree id>/` (`rootfs/`,
 * `manifest`, `hash`, `layers`). A tree is assembled in a work dir and appears by one rename,
 * so a tree directory is always complete; it is only ever removed whole. Pods stack the
 * `rootfs/` of trees as overlayfs lower layers, so trees are never modified in place.
 *
 * Trees are a cache of the images' durable blobs, so their file data is not flushed when they
 * are made (flushing 200 MB of fresh files cost an import more than the rest of it did): a new
 * tree holds an `unflushed` file naming the boot that wrote it. Within that boot the page cache
 * is the truth and the tree is as good as flushed; after a crash its files may have lost data,
 * so a tree still marked from an earlier boot is {@link StoredTree.stale} and is unpacked again
 * from the blobs before anything uses it. `image gc` flushes the filesystem and drops the marks.
 * `hash` and `layers` are written durably: re-rendering a stale tree needs its layers.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { errnoCode, fsyncDir, writeFileAtomic } from '../../util/index.js';
import type { ImageId } from '../format/aci/image-id.js';
import { isImageId } from '../format/aci/image-id.js';
import type { StoreLayout, TreeId } from './store-layout.js';
import type { TreeHash } from '../tree/tree-hash.js';

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
  /**
   * Written without a flush during an earlier boot (the machine restarted before `image gc`
   * flushed it): its files may have lost data in a crash, so it must be made again before use.
   */
  readonly stale: boolean;
}

/** Written as the `hash` of a tree whose hash was not computed when it was made. */
const HASH_FROM_BLOB = 'from-blob';

/** Marks a tree whose files were not flushed yet; holds the boot ID of the boot that wrote it. */
const UNFLUSHED_FILE = 'unflushed';
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

let bootId: string | undefined;

/** The kernel's ID of this boot (changes with every boot, crash or not). */
async function currentBootId(): Promise<string> {
  bootId ??= (await readFile(BOOT_ID_FILE, 'utf8')).trim();
  return bootId;
}

/**
 * Mark the tree being assembled in `workTree` as not flushed. The mark is not flushed either:
 * its directory entry is metadata, journaled before the rename that installs the tree, and a
 * mark whose content was lost reads as an earlier boot's, which is the safe side.
 */
export async function markUnflushed(workTree: string): Promise<void> {
  await writeFile(path.join(workTree, UNFLUSHED_FILE), `${await currentBootId()}\n`, { mode: 0o644, flag: 'wx' });
}

/** The boot ID in the tree directory `dir`'s mark, or undefined when it has none. */
async function readMark(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(dir, UNFLUSHED_FILE), 'utf8')).trim();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** True when the tree directory `dir` was written unflushed in an earlier boot. */
async function isStale(dir: string): Promise<boolean> {
  const mark = await readMark(dir);
  return mark !== undefined && mark !== (await currentBootId());
}

/**
 * Drop the mark of the stale tree directory `dir` whose content was just checked against its
 * expected hash: read after the restart, that content came from the disk, so it is durable.
 */
export async function unmarkCheckedTree(dir: string): Promise<void> {
  try {
    await unlink(path.join(dir, UNFLUSHED_FILE));
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

/**
 * Flush the filesystem of the tree store and drop the marks of trees written in this boot
 * (stale ones keep theirs: their data may already be lost). Call with the exclusive store lock
 * held. Returns how many trees became durable.
 */
export async function flushTrees(layout: StoreLayout): Promise<number> {
  const boot = await currentBootId();
  const marked: string[] = [];
  for (const id of await listTrees(layout)) {
    if ((await readMark(layout.tree(id))) === boot) marked.push(layout.tree(id));
  }
  if (marked.length === 0) return 0;
  await syncFileSystem(layout.trees);
  for (const dir of marked) await unlink(path.join(dir, UNFLUSHED_FILE));
  return marked.length;
}

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
  return isImageId(name) || /^(?:deps|layer)-[0-9a-f]{64}$/.test(name);
}

/** The tree of an OCI layer, named by its DiffID (`sha256:<hex>` → `layer-<hex>`). */
export function layerTreeId(diffId: string): TreeId {
  return `layer-${diffId.slice('sha256:'.length)}`;
}

/** True for the tree of an OCI layer. */
export function isLayerTreeId(id: TreeId): boolean {
  return id.startsWith('layer-');
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
 * Flush the filesystem holding `file` (syncfs via coreutils `sync -f`): one call makes every
 * tree written so far durable, instead of an fsync per file.
 */
export async function syncFileSystem(file: string): Promise<void> {
  await execFileAsync('sync', ['-f', file]);
}

/**
 * Move an assembled tree into the store. Call with the exclusive store lock held. Returns false
 * (and moves nothing) when a usable tree with that ID is already there: trees are immutable and
 * content-addressed, so the existing one is as good.
 */
export async function installTree(layout: StoreLayout, workTree: string, id: TreeId): Promise<boolean> {
  const existing = await readTree(layout, id);
  if (existing !== undefined && !existing.stale) return false;
  // An incomplete directory cannot exist here (trees appear by rename), but a tree whose
  // metadata was lost, or a stale one, is replaced rather than trusted.
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
  return { id, path: dir, rootfs: path.join(dir, 'rootfs'), layers: ids, hash: hash === HASH_FROM_BLOB ? undefined : hash, stale: await isStale(dir) };
}

/** The tree `id` when it is in the store and usable (not stale). */
export async function readUsableTree(layout: StoreLayout, id: TreeId): Promise<StoredTree | undefined> {
  const tree = await readTree(layout, id);
  return tree?.stale === false ? tree : undefined;
}

/** IDs of every tree directory in the store. */
export async function listTrees(layout: StoreLayout): Promise<TreeId[]> {
  return (await readdir(layout.trees)).filter(isTreeId);
}

/** Remove a tree whole. Call with the exclusive store lock held. */
export async function removeTree(layout: StoreLayout, id: TreeId): Promise<void> {
  await rm(layout.tree(id), { recursive: true, force: true });
}
