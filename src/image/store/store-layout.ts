/**
 * @module store-layout — where the image store keeps things under `<dir>/images/`:
 *
 * ```
 * lock                          store lock: shared to read / create a work dir, exclusive to commit
 * blobs/sha512/<128 hex>        uncompressed ACI tars, named by image ID (read-only files)
 * blobs/sha256/<64 hex>         OCI/Docker manifests, configs and (compressed) layers, by digest,
 *                               shared between images (a layer two images share is stored once)
 * index/sha512-<128 hex>.json   one record per image; its presence is the commit point
 * index/sha256-<64 hex>.json    an OCI/Docker image's record, named by its manifest digest
 * trees/sha512-<128 hex>/       the image's own rootfs, unpacked once at import
 * trees/deps-<64 hex>/          rendered trees: dependencies merged, pathWhitelist applied
 * trees/layer-<64 hex>/         one OCI layer unpacked (named by its DiffID), whiteouts as
 *                               overlayfs reads them; pods stack these as lower dirs
 *   each tree: rootfs/, manifest, hash (tree hash), layers (image IDs, lowest first), and
 *   `unflushed` (the boot ID) until gc flushes it (tree-store.ts)
 * tmp/<random>/                 work dirs of running imports and renders, each with a held
 *                               `lock`; unlocked ones are crash leftovers that gc removes
 * ```
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ImageId } from '../format/aci/image-id.js';
import { imageIdHex, isOciImageId } from '../format/aci/image-id.js';

/** Identifies a tree in the tree store: an image ID (the image's own tree) or `deps-<64 hex>`. */
export type TreeId = string;

/** The paths of one store. */
export class StoreLayout {
  readonly root: string;
  readonly lock: string;
  readonly blobs: string;
  /** `blobs/sha256`: OCI content by digest. */
  readonly ociBlobs: string;
  readonly index: string;
  readonly trees: string;
  readonly tmp: string;

  constructor(dir: string) {
    this.root = path.join(dir, 'images');
    this.lock = path.join(this.root, 'lock');
    this.blobs = path.join(this.root, 'blobs', 'sha512');
    this.ociBlobs = path.join(this.root, 'blobs', 'sha256');
    this.index = path.join(this.root, 'index');
    this.trees = path.join(this.root, 'trees');
    this.tmp = path.join(this.root, 'tmp');
  }

  /** An ACI's tar, or an OCI image's manifest. */
  blob(id: ImageId): string {
    return path.join(isOciImageId(id) ? this.ociBlobs : this.blobs, imageIdHex(id));
  }

  /** The OCI blob with digest `sha256:<hex>`. */
  ociBlob(digest: string): string {
    return path.join(this.ociBlobs, digest.slice('sha256:'.length));
  }

  record(id: ImageId): string {
    return path.join(this.index, `${id}.json`);
  }

  tree(id: TreeId): string {
    return path.join(this.trees, id);
  }

  /** Create the directories (idempotent). */
  async create(): Promise<void> {
    for (const dir of [this.blobs, this.ociBlobs, this.index, this.trees]) await mkdir(dir, { recursive: true, mode: 0o755 });
    await mkdir(this.tmp, { recursive: true, mode: 0o700 });
  }
}
