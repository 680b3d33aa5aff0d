/**
 * @module store/oci-tree-verify — `image verify` of an OCI image's layer trees: each tree is
 * hashed (tree-hash.ts: paths, types, modes, owners, file contents) and compared with the hash
 * it must have. That hash is recorded in the tree's meta by the first verify, computed from a
 * fresh unpack of the layer's blob (already checked against its digest) into a work dir; pulls
 * record nothing, so they pay no second hash of every file. A tree that differs (a file
 * modified in an unpacked layer) is removed and unpacked again from its blob.
 */
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { withLock } from '../../util/index.js';
import { hashTree } from '../tree/tree-hash.js';
import type { ImageRecord, OciLayerRecord } from './image-record.js';
import { unpackLayer } from './layer-unpack.js';
import { ensureOciTrees } from './oci-import.js';
import type { StoreLayout, TreeId } from './store-layout.js';
import { createWorkDir } from './store-workdir.js';
import type { StoredTree } from './tree-store.js';
import { layerTreeId, readTree, removeTree, unmarkCheckedTree, writeTreeHash } from './tree-store.js';

/** What verifying the layer trees found. */
export type LayerTreesVerification =
  | { readonly status: 'ok' }
  | { readonly status: 'rebuilt'; readonly layer: string; readonly expected: string; readonly actual: string };

/** The hash the tree of `layer` must have: its blob unpacked again over `lowers` and hashed. */
async function expectedHash(layout: StoreLayout, layer: OciLayerRecord, lowers: readonly string[], signal?: AbortSignal): Promise<string> {
  const work = await createWorkDir(layout, signal);
  try {
    const rootfs = path.join(work.path, 'rootfs');
    await mkdir(rootfs, { mode: 0o755 });
    await withLock(layout.lock, 'shared', () => unpackLayer(layout.ociBlob(layer.digest), rootfs, { sourceName: `layer ${layer.digest}`, lowerRootfs: lowers, signal }), { signal });
    return await hashTree(rootfs);
  } finally {
    await work.release();
  }
}

/**
 * Hash every layer tree of `record` (base first) against its expected hash; those that differ
 * are removed and made again from their blobs (the first is reported). Call after the blobs were verified and the
 * trees made (verifyOci). Errors: those of unpacking.
 */
export async function verifyLayerTrees(layout: StoreLayout, record: ImageRecord, signal?: AbortSignal): Promise<LayerTreesVerification> {
  const oci = record.oci;
  if (oci === undefined) throw new Error(`${record.id} is not an OCI image`);
  const lowers: string[] = [];
  const modified: { id: TreeId; layer: string; expected: string; actual: string }[] = [];
  for (const layer of oci.layers) {
    const id: TreeId = layerTreeId(layer.diffId);
    const tree: StoredTree | undefined = await readTree(layout, id);
    if (tree === undefined) continue; // gc removed it meanwhile: the next use makes it again
    lowers.unshift(tree.rootfs);
    if (modified.some((entry) => entry.id === id)) continue;
    const actual = await hashTree(tree.rootfs);
    const expected = tree.hash ?? (await expectedHash(layout, layer, lowers.slice(1), signal));
    if (actual !== expected) {
      modified.push({ id, layer: layer.digest, expected, actual });
      continue;
    }
    if (tree.hash === undefined || tree.stale) {
      await withLock(layout.lock, 'exclusive', async () => {
        if ((await readTree(layout, id)) === undefined) return;
        if (tree.hash === undefined) await writeTreeHash(tree.path, expected);
        if (tree.stale) await unmarkCheckedTree(tree.path);
      }, { signal });
    }
  }
  const [first] = modified;
  if (first === undefined) return { status: 'ok' };
  await withLock(layout.lock, 'exclusive', async () => {
    for (const entry of modified) await removeTree(layout, entry.id);
  }, { signal });
  await ensureOciTrees(layout, record, signal);
  return { status: 'rebuilt', layer: first.layer, expected: first.expected, actual: first.actual };
  return { status: 'ok' };
}
