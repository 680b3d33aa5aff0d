/**
 * @module store/oci-render — an OCI/Docker image's root filesystem as its container sees it,
 * for `image render` and `image extract`: the layer trees copied over each other base first,
 * each layer's opaque directories emptied before it is copied, and at the end the whiteouts
 * (character devices 0/0) removed with what they hid. The result is a plain tree: no whiteout
 * devices and no `trusted.overlay.opaque` attributes, which only mean something inside an
 * overlay mount.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { withLock } from '../../util/index.js';
import { OVERLAY_OPAQUE_XATTR } from '../format/oci/whiteout.js';
import { copyTreeOver } from '../tree/tree-copy.js';
import type { ImageRecord } from './image-record.js';
import { ensureOciTrees } from './oci-import.js';
import { emptyDir, opaqueDirs } from './oci-merge.js';
import type { StoreLayout } from './store-layout.js';

/** Remove every whiteout (a 0/0 character device) under `dir`; never follows a symlink. */
async function removeWhiteouts(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) await removeWhiteouts(entryPath);
    else if (entry.isCharacterDevice() && (await lstat(entryPath)).rdev === 0) await rm(entryPath);
  }
}

/**
 * Write the merged layers of `record` into `rootfs` (an existing, empty directory), making
 * missing layer trees again from the blobs first. Errors: those of ensureOciTrees.
 */
export async function renderOciRootfs(layout: StoreLayout, record: ImageRecord, rootfs: string, signal?: AbortSignal): Promise<void> {
  const trees = await ensureOciTrees(layout, record, signal);
  await withLock(layout.lock, 'shared', async () => {
    for (const id of [...trees].reverse()) {
      signal?.throwIfAborted();
      const source = path.join(layout.tree(id), 'rootfs');
      for (const dir of await opaqueDirs(source)) await emptyDir(rootfs, dir);
      await copyTreeOver(source, rootfs, { skipXattrs: [OVERLAY_OPAQUE_XATTR] });
    }
  }, { signal });
  await removeWhiteouts(rootfs);
}
