/**
 * @module store/layer-unpack — one OCI/Docker layer blob (gzip, zstd or plain tar) unpacked into
 * its own tree, in one pass, as an overlayfs lower layer: whiteouts become character devices
 * 0/0, opaque markers the `trusted.overlay.opaque` xattr on their directory (format/oci
 * whiteout.ts). Extraction is as safe as an ACI's (tree-writer.ts: no `..`, no writes through
 * symlinks, no hardlink out of the tree, no symlink climbing out), with two differences real
 * layers need: absolute names are read under the layer's root, and a later entry for the same
 * path replaces the earlier one (docker and containerd do both). The SHA-256
 * of the uncompressed tar (the layer's DiffID) is computed on the way and returned: the caller
 * compares it with the image config. Nothing is fsynced (trees are a cache of the blobs).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, lstatSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Header } from 'tar-stream';
import { errnoCode, invalidArgument, runtimeFailure } from '../../util/index.js';
import type { TarEntry } from '../archive/tar-entry.js';
import { checkSymlinkTarget, cleanArchivePath, toTarEntry } from '../archive/tar-entry.js';
import { TarFormatError, TarParser } from '../archive/tar-parser.js';
import { openTarSource } from '../archive/tar-source.js';
import { OVERLAY_OPAQUE_XATTR, classifyLayerPath, isBadWhiteoutTarget } from '../format/oci/whiteout.js';
import { TreeWriter } from '../tree/tree-writer.js';
import { setXattr } from '../tree/xattr.js';

/** Uncompressed bytes handled per step: from a file (one layer at a time)… */
const READ_BYTES = 1024 * 1024;
/** …and from a download's stream (several layers at once, so less each: pull RSS ≤ 100 MB). */
const STREAM_READ_BYTES = 256 * 1024;

/** Options of {@link unpackLayer}. */
export interface UnpackLayerOptions {
  /** Names the layer in messages (its digest). */
  readonly sourceName: string;
  /** The rootfs of the layers below, topmost first: implied directories copy their metadata. */
  readonly lowerRootfs: readonly string[];
  /**
   * Settles when the layers below are complete. Only the last step (directory metadata, which
   * reads `lowerRootfs`) waits for it: a layer unpacks while the ones below still unpack.
   */
  readonly lowersReady?: Promise<unknown> | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What an unpacked layer was. */
export interface UnpackedLayer {
  /** `sha256:<hex>` of the uncompressed tar. */
  readonly diffId: string;
  readonly tarBytes: number;
  readonly contentBytes: number;
}

function tarError(error: unknown, sourceName: string): unknown {
  if (!(error instanceof TarFormatError)) return error;
  if (error.truncated) return invalidArgument('ERR_TAR_TRUNCATED', `${sourceName}: the layer's tar archive ends early (truncated)`, { cause: error });
  return invalidArgument('ERR_TAR_CORRUPT', `${sourceName}: the layer's tar archive is corrupt: ${error.message}`, { cause: error });
}

function metaFromLowers(lowers: readonly string[]): (rel: string) => { mode: number; uid: number; gid: number } | undefined {
  return (rel) => {
    for (const lower of lowers) {
      try {
        const stats = lstatSync(rel === '' ? lower : path.join(lower, rel));
        if (stats.isDirectory()) return { mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid };
        return undefined;
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT' && errnoCode(error) !== 'ENOTDIR') throw error;
      }
    }
    return undefined;
  };
}

/** Routes the parser's events of one layer to the tree writer, whiteouts converted. */
class LayerRouter {
  readonly opaqueDirs: string[] = [];
  endOfEntries = 0;
  #file = false;
  #open = false;

  constructor(readonly writer: TreeWriter, readonly sourceName: string) {}

  async entry(header: Header, offset: number): Promise<void> {
    this.endOfEntries = offset + 512 + Math.ceil((header.type === 'directory' ? 0 : header.size ?? 0) / 512) * 512;
    // Absolute names (`/etc/passwd`, which some image builders write) are read under the
    // layer's root, as containerd does; `..` components are still refused.
    const rel = cleanArchivePath(header.name, this.sourceName, 'under-root');
    // The tree writer and tar-entry speak ACI paths (`rootfs/…`): a layer's root is rootfs/.
    const linkname = header.type === 'link' ? `rootfs/${header.linkname ?? ''}` : header.linkname;
    const entry: TarEntry = toTarEntry({ ...header, name: `rootfs/${rel}`, linkname }, this.sourceName);
    const what = classifyLayerPath(rel);
    this.#file = false;
    this.#open = false;
    if (what.kind === 'opaque') {
      this.opaqueDirs.push(what.dir);
      return;
    }
    if (what.kind === 'whiteout') {
      if (isBadWhiteoutTarget(what.target)) throw invalidArgument('ERR_LAYER_BAD_WHITEOUT', `${this.sourceName}: whiteout "${rel}" names no file`);
      await this.writer.begin(what.target, { ...entry, name: `rootfs/${what.target}`, type: 'char-device', devmajor: 0, devminor: 0, mode: 0, size: 0, xattrs: new Map() });
      await this.writer.end();
      return;
    }
    if (entry.type === 'symlink') checkSymlinkTarget(this.sourceName, header.name, rel, entry.linkname ?? '');
    this.#file = entry.type === 'file';
    this.#open = true;
    await this.writer.begin(rel, entry);
  }

  data(bytes: Buffer): void {
    if (this.#file) this.writer.data(bytes);
  }

  async end(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.writer.end();
  }
}

async function markOpaque(rootfs: string, dirs: readonly string[], sourceName: string): Promise<void> {
  for (const dir of dirs) {
    const abs = dir === '' ? rootfs : path.join(rootfs, dir);
    // The tree writer refused any path through a symlink; a marker alone implies its directory.
    mkdirSync(abs, { recursive: true, mode: 0o755 });
    const fd = openSync(abs, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
    try {
      if (!(await setXattr(fd, OVERLAY_OPAQUE_XATTR, 'y'))) {
        throw runtimeFailure('ERR_LAYER_OPAQUE_XATTR', `${sourceName}: cannot mark "${dir}/" opaque (${OVERLAY_OPAQUE_XATTR}): the store's filesystem refuses trusted xattrs`, {
          hint: 'keep the data dir on a filesystem with xattr support (ext4, xfs, btrfs, tmpfs) and run as root',
        });
      }
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Unpack the layer blob `blob` (a file, or its bytes as they arrive) into `rootfs` (an existing
 * empty directory). On failure `rootfs`
 * holds a partial tree; the caller removes it. Errors: those of tar-source (compression), the
 * tar parser (`ERR_TAR_TRUNCATED`, `ERR_TAR_CORRUPT`), tar-entry and the tree writer
 * (`ERR_TAR_UNSAFE_PATH`, `ERR_TAR_UNSAFE_LINK`, `ERR_TAR_BAD_LINK`),
 * `ERR_LAYER_BAD_WHITEOUT`, `ERR_LAYER_OPAQUE_XATTR`.
 */
export async function unpackLayer(blob: string | AsyncIterable<Uint8Array>, rootfs: string, options: UnpackLayerOptions): Promise<UnpackedLayer> {
  const { sourceName } = options;
  // A later entry for the same path wins within a layer, as docker and containerd apply them.
  const writer = new TreeWriter(rootfs, sourceName, { digestContent: false, recordTree: false, impliedDir: metaFromLowers(options.lowerRootfs), duplicates: 'replace' });
  const router = new LayerRouter(writer, sourceName);
  const hash = createHash('sha256');
  const parser = new TarParser();
  const tar = await openTarSource(blob, sourceName);
  const buffer = Buffer.allocUnsafe(typeof blob === 'string' ? READ_BYTES : STREAM_READ_BYTES);
  let tarBytes = 0;
  let trailingZeros = 0;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const length = await tar.fill(buffer);
      if (length === 0) break;
      const chunk = buffer.subarray(0, length);
      hash.update(chunk);
      tarBytes += length;
      let last = length - 1;
      while (last >= 0 && chunk[last] === 0) last -= 1;
      trailingZeros = last < 0 ? trailingZeros + length : length - 1 - last;
      parser.push(chunk);
      for (let event = parser.next(); event !== undefined; event = parser.next()) {
        if (event.kind === 'entry') await router.entry(event.header, event.offset);
        else if (event.kind === 'data') router.data(event.bytes);
        else await router.end();
      }
    }
    parser.end();
    if (tarBytes - router.endOfEntries < 1024 || tarBytes - trailingZeros > router.endOfEntries) {
      throw invalidArgument('ERR_TAR_TRUNCATED', `${sourceName}: the layer's tar archive ends early (no end-of-archive marker: truncated)`);
    }
  } catch (error) {
    writer.abort();
    throw tarError(error, sourceName);
  } finally {
    await tar.close();
  }
  await options.lowersReady;
  options.signal?.throwIfAborted();
  const report = await writer.finish();
  await markOpaque(rootfs, router.opaqueDirs, sourceName);
  return { diffId: `sha256:${hash.digest('hex')}`, tarBytes, contentBytes: report.contentBytes };
}
