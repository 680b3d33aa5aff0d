/**
 * @module store-render — make and check the trees pods run from. An image's own tree comes
 * from its import (or is unpacked again from the blob when gc removed it, or when it is stale:
 * written unflushed before the machine restarted, see tree-store.ts); an image with
 * dependencies or a pathWhitelist gets a merged tree: its layers copied lowest first (later
 * files win), each layer's pathWhitelist restricting what it and the layers below contribute.
 * New trees are not flushed; they are marked instead (tree-store.ts).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { notFound, verificationFailed, withLock, writeFileAtomic } from '../../util/index.js';
import { extractAciInto } from '../format/aci/aci-extract.js';
import { unpackAci } from '../format/aci/aci-unpack.js';
import type { ImageRecord } from './image-record.js';
import { listRecords, readRecord } from './image-record.js';
import { ensureMergedTree } from './oci-merge.js';
import { ensureOciTrees } from './oci-import.js';
import type { StoreLayout, TreeId } from './store-layout.js';
import { dependencyLayers } from './store-resolve.js';
import { createWorkDir } from './store-workdir.js';
import { applyPathWhitelist, copyTreeOver } from '../tree/tree-copy.js';
import { hashTree } from '../tree/tree-hash.js';
import type { StoredTree } from './tree-store.js';
import { installTree, isLayerTreeId, layerTreeId, markUnflushed, readTree, readUsableTree, removeTree, treeIdFor, unmarkCheckedTree, writeTreeHash, writeTreeMeta } from './tree-store.js';

/** The image's own tree, unpacked again from its blob when missing or stale. */
export async function ensureImageTree(layout: StoreLayout, record: ImageRecord, signal?: AbortSignal): Promise<StoredTree> {
  const existing = await readUsableTree(layout, record.id);
  if (existing !== undefined) return existing;
  const work = await createWorkDir(layout, signal);
  try {
    const treePath = path.join(work.path, 'tree');
    await mkdir(treePath, { mode: 0o755 });
    const extracted = await withLock(layout.lock, 'shared', () => extractAciInto(layout.blob(record.id), treePath, { sourceName: record.id, signal }), { signal });
    if (extracted.id !== record.id) {
      throw verificationFailed('ERR_IMAGE_CORRUPT', `the stored blob of ${record.id} no longer matches its ID (it hashes to ${extracted.id})`, {
        hint: 'remove the image and fetch it again',
      });
    }
    await writeTreeMeta(treePath, extracted.treeHash, [record.id]);
    await markUnflushed(treePath);
    await withLock(layout.lock, 'exclusive', () => installTree(layout, treePath, record.id), { signal });
  } finally {
    await work.release();
  }
  const tree = await readTree(layout, record.id);
  if (tree === undefined) throw new Error(`tree ${record.id} vanished right after it was installed`);
  return tree;
}

/** The tree ID `record` renders to, given the records its dependencies resolve against. */
export function renderedTreeId(records: readonly ImageRecord[], record: ImageRecord): { id: string; layers: ImageRecord[] } {
  const layers = dependencyLayers(records, record);
  const filtered = layers.some((layer) => layer.manifest.pathWhitelist.length > 0);
  return { id: treeIdFor(layers.map((layer) => layer.id), filtered), layers };
}

/** Render `record` with its dependencies (resolved in `records`) into the tree store. */
export async function renderImage(
  layout: StoreLayout,
  records: readonly ImageRecord[],
  record: ImageRecord,
  signal?: AbortSignal,
): Promise<StoredTree> {
  const { id, layers } = renderedTreeId(records, record);
  if (id === record.id) return ensureImageTree(layout, record, signal);
  return renderLayers(layout, id, layers, signal);
}

/** The merged tree `id` of `layers` (lowest first; the last is the image), made when missing or stale. */
async function renderLayers(layout: StoreLayout, id: TreeId, layers: readonly ImageRecord[], signal?: AbortSignal): Promise<StoredTree> {
  const existing = await readUsableTree(layout, id);
  if (existing !== undefined) return existing;
  const top = layers.at(-1);
  if (top === undefined) throw new Error(`tree ${id} has no layers`);
  const layerTrees: StoredTree[] = [];
  for (const layer of layers) layerTrees.push(await ensureImageTree(layout, layer, signal));
  const work = await createWorkDir(layout, signal);
  try {
    const treePath = path.join(work.path, 'tree');
    const rootfs = path.join(treePath, 'rootfs');
    await mkdir(rootfs, { recursive: true, mode: 0o755 });
    await withLock(layout.lock, 'shared', async () => {
      for (const [index, layer] of layers.entries()) {
        const tree = layerTrees[index];
        if (tree === undefined) continue;
        await copyTreeOver(tree.rootfs, rootfs);
        await applyPathWhitelist(rootfs, layer.manifest.pathWhitelist);
      }
    }, { signal });
    await writeFileAtomic(path.join(treePath, 'manifest'), `${JSON.stringify(top.manifest.raw, null, 2)}\n`);
    await writeTreeMeta(treePath, await hashTree(rootfs), layers.map((layer) => layer.id));
    await markUnflushed(treePath);
    await withLock(layout.lock, 'exclusive', () => installTree(layout, treePath, id), { signal });
  } finally {
    await work.release();
  }
  const tree = await readTree(layout, id);
  if (tree === undefined) throw new Error(`tree ${id} vanished right after it was installed`);
  return tree;
}

/**
 * The tree `id` as pods use it (a pod's plan names its trees), undefined when it is not in the
 * store; when it is stale, it is made again from the blobs of the images it holds. Errors:
 * `ERR_TREE_IMAGE_MISSING` when a stale tree's image is gone, and those of rendering.
 */
export async function usableTree(layout: StoreLayout, id: TreeId, signal?: AbortSignal): Promise<StoredTree | undefined> {
  const tree = await readTree(layout, id);
  if (tree === undefined || !tree.stale) return tree;
  if (isLayerTreeId(id)) {
    // An OCI layer: unpacked again from its blob, through an image that has it.
    const owner = (await listRecords(layout)).find((record) => record.oci?.layers.some((layer) => layerTreeId(layer.diffId) === id) === true);
    if (owner === undefined) {
      throw notFound('ERR_TREE_IMAGE_MISSING', `layer tree ${id} was not flushed to disk before the machine restarted, and no image with that layer is left to make it again`, {
        hint: 'fetch the image again and prepare the pod again',
      });
    }
    await ensureOciTrees(layout, owner, signal);
    return readTree(layout, id);
  }
  const layers: ImageRecord[] = [];
  for (const layerId of tree.layers) {
    const record = await readRecord(layout, layerId);
    if (record === undefined) {
      throw notFound('ERR_TREE_IMAGE_MISSING', `image tree ${id} was not flushed to disk before the machine restarted, and its image ${layerId} is gone, so it cannot be made again`, {
        hint: 'fetch the image again and prepare the pod again',
      });
    }
    layers.push(record);
  }
  const [only] = layers;
  if (layers.length === 1 && only !== undefined && only.id === id) return ensureImageTree(layout, only, signal);
  if (layers.length === 1 && only?.oci !== undefined) {
    // The merge of an OCI image's layers (oci-merge.ts): its layer trees first, then the merge.
    await ensureOciTrees(layout, only, signal);
    await ensureMergedTree(layout, only, signal);
    return readTree(layout, id);
  }
  return renderLayers(layout, id, layers, signal);
}

/** The outcome of checking a rendered tree. */
export type TreeVerification =
  | { readonly status: 'ok'; readonly tree: StoredTree }
  | { readonly status: 'not-rendered' }
  | { readonly status: 'rebuilt'; readonly tree: StoredTree; readonly expected: string; readonly actual: string };

/**
 * The hash `record`'s own tree must have, from its blob: unpacked again into a work dir (the
 * same code as the import's) and hashed there. Errors: `ERR_IMAGE_CORRUPT` when the blob no
 * longer matches the image ID.
 */
async function treeHashFromBlob(layout: StoreLayout, record: ImageRecord, signal?: AbortSignal): Promise<string> {
  const work = await createWorkDir(layout, signal);
  try {
    const unpacked = await withLock(layout.lock, 'shared', () => unpackAci(layout.blob(record.id), work.path, { sourceName: record.id, signal }), { signal });
    if (unpacked.id !== record.id) {
      throw verificationFailed('ERR_IMAGE_CORRUPT', `the stored blob of ${record.id} no longer matches its ID (it hashes to ${unpacked.id})`, {
        hint: 'remove the image and fetch it again',
      });
    }
    if (unpacked.treeHash === undefined) throw new Error(`no tree hash for the blob of ${record.id}`);
    return unpacked.treeHash;
  } finally {
    await work.release();
  }
}

/**
 * Recompute the hash of `record`'s rendered tree; when it differs from the expected one, the
 * tree was modified: remove it and render it again. The expected hash is the one recorded when
 * the tree was made, or for a tree an import made, the hash of the tree its blob unpacks to
 * (recorded once the tree matches it, so later verifies need no unpacking). A stale tree (not
 * flushed before a restart) that still matches is kept and loses its mark; one that lost data
 * no longer matches and is rebuilt.
 */
export async function verifyRendered(
  layout: StoreLayout,
  records: readonly ImageRecord[],
  record: ImageRecord,
  signal?: AbortSignal,
): Promise<TreeVerification> {
  const { id } = renderedTreeId(records, record);
  const tree = await readTree(layout, id);
  if (tree === undefined) return { status: 'not-rendered' };
  const actual = await hashTree(tree.rootfs);
  // Only an image's own tree can lack a recorded hash (imports make no other kind).
  const expected = tree.hash ?? (id === record.id ? await treeHashFromBlob(layout, record, signal) : 'none');
  if (actual === expected) {
    if (tree.hash === undefined || tree.stale) {
      // Under the lock: gc may have removed the tree meanwhile; then there is nothing to record.
      await withLock(layout.lock, 'exclusive', async () => {
        if ((await readTree(layout, id)) === undefined) return;
        if (tree.hash === undefined) await writeTreeHash(tree.path, expected);
        if (tree.stale) await unmarkCheckedTree(tree.path);
      }, { signal });
    }
    return { status: 'ok', tree: { ...tree, hash: expected, stale: false } };
  }
  await withLock(layout.lock, 'exclusive', () => removeTree(layout, id), { signal });
  const rebuilt = await renderImage(layout, records, record, signal);
  return { status: 'rebuilt', tree: rebuilt, expected, actual };
}
