/**
 * @module tree-writer — safe extraction of checked tar entries into a fresh directory.
 *
 * Invariants: nothing is written outside `root`. Paths were cleaned by tar-entry; the only other
 * way out is through a symlink the archive itself created, so every parent component is
 * lstat-checked to be a real directory (never followed) and every file is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW; existing entries are never replaced. Permission bits are set
 * explicitly after ownership (chown clears setuid/setgid), so the umask never matters and
 * setuid/setgid bits appear exactly as in the archive. Directory metadata is applied last,
 * deepest first, because creating children changes a directory's mtime. Ownership is kept only
 * when running as root (an unprivileged process cannot chown). Extended attributes are set on
 * files and directories through their descriptors; see {@link ExtractionReport.skippedXattrs}.
 *
 * The file system calls are synchronous on purpose: extraction is strictly sequential, and a
 * thread-pool round trip per call (open, write, chown, chmod, utimes, close for each of
 * thousands of files) made it several times slower than GNU tar. The writer is a
 * {@link RootfsSink}: the reader pushes file content straight from its read buffer.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, constants as fsConstants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lutimesSync,
  mkdirSync, openSync, rmSync, symlinkSync, writeSync,
} from 'node:fs';
import path from 'node:path';
import { errnoCode, invalidArgument, runtimeFailure } from '../../util/index.js';
import type { RootfsSink } from './rootfs-sink.js';
import type { TarEntry } from '../archive/tar-entry.js';
import { depth, lstatOrUndefined, makeNode, newFileOwner } from './tree-fs.js';
import type { TreeHash } from './tree-hash.js';
import { TreeHashRecorder } from './tree-hash.js';
import { setXattr } from './xattr.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fsConstants;

/** What an extraction produced besides the files. */
export interface ExtractionReport {
  /**
   * SHA-256 (hex) of every regular file's content by rootfs-relative path, hardlinks included;
   * empty when the writer was told not to digest (the reader did it instead).
   */
  readonly contentDigests: ReadonlyMap<string, string>;
  /** Bytes of regular-file content written. */
  readonly contentBytes: number;
  /**
   * `path: attribute` for xattrs that could not be kept: on symlinks, fifos and devices (only
   * reachable through a path, and opening those has side effects), values tar-stream could not
   * decode as UTF-8 (binary values such as `security.capability` are mangled by its pax
   * decoder), and attributes the filesystem or process refused.
   */
  readonly skippedXattrs: readonly string[];
}

interface PendingDir {
  readonly rel: string;
  readonly entry: TarEntry | undefined;
}

/** Options of a {@link TreeWriter}. */
export interface TreeWriterOptions {
  /** Compute each file's SHA-256 while writing it (default true; off when the reader digests). */
  readonly digestContent?: boolean;
  /** Record what is made for {@link TreeWriter.treeHash} (default true). */
  readonly recordTree?: boolean;
  /**
   * Ownership and mode of a directory the archive implies (a deeper entry needs it) but does not
   * hold; default root-owned 0755. An OCI layer takes them from the layers below it, so its
   * tree does not hide the real directory's mode in the overlay.
   */
  readonly impliedDir?: (rel: string) => { readonly mode: number; readonly uid: number; readonly gid: number } | undefined;
  /**
   * What a second entry for the same path does: `refuse` (default; an ACI is refused) or
   * `replace`, as docker and containerd apply layers: the later entry wins (a directory over a
   * directory only takes its metadata; anything else removes what was there, a directory with
   * its content). Replacing never follows a symlink: parents are checked as always, and the
   * entry itself is unlinked, not written through.
   */
  readonly duplicates?: 'refuse' | 'replace';
}

interface OpenFile {
  readonly fd: number;
  readonly rel: string;
  readonly entry: TarEntry;
  readonly hash: Hash | undefined;
  bytes: number;
}

/** Writes the entries of one archive's rootfs/ under `root` (an existing, empty directory). */
export class TreeWriter implements RootfsSink {
  readonly #root: string;
  readonly #sourceName: string;
  readonly #preserveOwnership: boolean;
  readonly #digestContent: boolean;
  readonly #knownDirs = new Set<string>(['']);
  readonly #dirs = new Map<string, PendingDir>();
  readonly #digests = new Map<string, string>();
  readonly #skipped: string[] = [];
  #bytes = 0;
  #file: OpenFile | undefined;
  /** What was made, for the tree hash; only as root, where ownership is exactly the archive's. */
  readonly #recorder: TreeHashRecorder | undefined;
  /**
   * The owner a file created here gets, when known: directories are made 0700 and get their
   * setgid bits only in {@link finish}, so below a root without setgid every new file belongs
   * to this process. A file already owned as the archive says needs no fchown (most are root's).
   */
  readonly #newFileOwner: { readonly uid: number; readonly gid: number } | undefined;
  readonly #impliedDir: TreeWriterOptions['impliedDir'];
  readonly #replace: boolean;

  constructor(root: string, sourceName: string, options: TreeWriterOptions = {}) {
    this.#root = root;
    this.#sourceName = sourceName;
    this.#preserveOwnership = process.getuid?.() === 0;
    this.#digestContent = options.digestContent ?? true;
    this.#recorder = this.#preserveOwnership && options.recordTree !== false ? new TreeHashRecorder() : undefined;
    this.#newFileOwner = this.#preserveOwnership ? newFileOwner(root) : undefined;
    this.#impliedDir = options.impliedDir;
    this.#replace = options.duplicates === 'replace';
    this.#dirs.set('', { rel: '', entry: undefined });
  }

  #abs(rel: string): string {
    return rel === '' ? this.#root : path.join(this.#root, rel);
  }

  /** Write one entry at rootfs-relative `rel`; `body` is the content of a regular file. */
  async write(rel: string, entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    await this.begin(rel, entry);
    try {
      if (entry.type === 'file') for await (const chunk of body) this.data(chunk);
    } catch (error) {
      this.abort();
      throw error;
    }
    await this.end();
  }

  /** Start entry `rel`: a file is opened for {@link data}; anything else is made now. */
  begin(rel: string, entry: TarEntry): void | Promise<void> {
    if (this.#file !== undefined) throw new Error(`tree writer: "${this.#file.rel}" was not ended`);
    if (rel !== '') this.#ensureParents(rel, true);
    if (this.#replace && rel !== '') this.#clearFor(rel, entry);
    switch (entry.type) {
      case 'file':
        return this.#openFile(rel, entry);
      case 'directory':
        return this.#makeDirectory(rel, entry);
      case 'symlink':
        return this.#makeSymlink(rel, entry);
      case 'hardlink':
        return this.#makeHardlink(rel, entry);
      case 'char-device':
      case 'block-device':
      case 'fifo':
        return this.#makeNode(rel, entry);
    }
  }

  /** Append to the open file. */
  data(chunk: Buffer): void {
    const file = this.#file;
    if (file === undefined) throw new Error('tree writer: file content outside a file entry');
    file.hash?.update(chunk);
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(file.fd, chunk, offset, chunk.length - offset);
    file.bytes += chunk.length;
    this.#bytes += chunk.length;
  }

  /** Finish the open file (metadata, then close); nothing to do for other entries. */
  end(): void | Promise<void> {
    const file = this.#file;
    if (file === undefined) return undefined;
    this.#file = undefined;
    if (file.hash !== undefined) this.#digests.set(file.rel, file.hash.digest('hex'));
    this.#recorder?.file(file.rel, file.entry.mode, file.entry.uid, file.entry.gid, file.bytes);
    let pending: Promise<void> | undefined;
    try {
      pending = this.#applyMetadata(file.fd, file.rel, file.entry, this.#newFileOwner);
    } finally {
      if (pending === undefined) closeSync(file.fd);
    }
    return pending?.finally(() => closeSync(file.fd));
  }

  /** Close the open file, if any (the caller removes the partial tree). */
  abort(): void {
    const file = this.#file;
    this.#file = undefined;
    if (file !== undefined) closeSync(file.fd);
  }

  /** Make sure every parent of `rel` is a real directory (created when missing and `create`). */
  #ensureParents(rel: string, create: boolean): void {
    const parts = rel.split('/');
    let current = '';
    for (const part of parts.slice(0, -1)) {
      current = current === '' ? part : `${current}/${part}`;
      if (this.#knownDirs.has(current)) continue;
      const stats = lstatOrUndefined(this.#abs(current));
      if (stats === undefined && create) {
        mkdirSync(this.#abs(current), { mode: 0o700 });
        this.#dirs.set(current, { rel: current, entry: undefined });
      } else if (stats === undefined) {
        throw invalidArgument('ERR_TAR_BAD_LINK', `${this.#sourceName}: hardlink target directory "rootfs/${current}" does not exist`);
      } else if (stats.isSymbolicLink()) {
        throw invalidArgument(
          'ERR_TAR_UNSAFE_PATH',
          `${this.#sourceName}: refusing tar entry "rootfs/${rel}": "rootfs/${current}" is a symlink and writing through it could escape the root`,
          { hint: 'the archive tries to write outside its root; do not use this image' },
        );
      } else if (!stats.isDirectory()) {
        throw invalidArgument('ERR_TAR_PATH_CONFLICT', `${this.#sourceName}: tar entry "rootfs/${rel}" needs "rootfs/${current}" to be a directory, but it is a file`);
      }
      this.#knownDirs.add(current);
    }
  }

  /** In replace mode: make room for a later entry at `rel` (see TreeWriterOptions.duplicates). */
  #clearFor(rel: string, entry: TarEntry): void {
    const stats = lstatOrUndefined(this.#abs(rel));
    if (stats === undefined) return;
    if (stats.isDirectory() && entry.type === 'directory') return;
    rmSync(this.#abs(rel), { recursive: true, force: true });
    if (!stats.isDirectory()) return;
    const inside = `${rel}/`;
    for (const known of [...this.#knownDirs]) if (known === rel || known.startsWith(inside)) this.#knownDirs.delete(known);
    for (const dir of [...this.#dirs.keys()]) if (dir === rel || dir.startsWith(inside)) this.#dirs.delete(dir);
  }

  #duplicate(rel: string, error: unknown): never {
    throw invalidArgument('ERR_ACI_DUPLICATE_ENTRY', `${this.#sourceName}: tar entry "rootfs/${rel}" exists twice in the archive`, { cause: error });
  }

  #openFile(rel: string, entry: TarEntry): void {
    let fd: number;
    try {
      fd = openSync(this.#abs(rel), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') this.#duplicate(rel, error);
      throw error;
    }
    this.#file = { fd, rel, entry, hash: this.#digestContent ? createHash('sha256') : undefined, bytes: 0 };
  }

  /**
   * Ownership, then mode (chown clears setuid), then xattrs, then times (last: they change).
   * Synchronous unless there are xattrs to set.
   */
  #applyMetadata(fd: number, rel: string, entry: TarEntry, owner?: { readonly uid: number; readonly gid: number }): Promise<void> | undefined {
    if (this.#preserveOwnership && (owner?.uid !== entry.uid || owner.gid !== entry.gid)) fchownSync(fd, entry.uid, entry.gid);
    fchmodSync(fd, entry.mode);
    if (entry.xattrs.size === 0) {
      futimesSync(fd, entry.atime, entry.mtime);
      return undefined;
    }
    // POSIX ACLs (system.posix_acl_*) rewrite the group permission bits.
    for (const name of entry.xattrs.keys()) if (name.startsWith('system.')) this.#recorder?.inexact();
    return this.#applyXattrs(fd, rel, entry).then(() => futimesSync(fd, entry.atime, entry.mtime));
  }

  async #applyXattrs(fd: number, rel: string, entry: TarEntry): Promise<void> {
    for (const [name, value] of entry.xattrs) {
      if (value.includes('\uFFFD') || !(await setXattr(fd, name, value))) this.#skipped.push(`${rel === '' ? '/' : rel}: ${name}`);
    }
  }

  #makeDirectory(rel: string, entry: TarEntry): void {
    if (rel !== '') {
      const stats = lstatOrUndefined(this.#abs(rel));
      if (stats === undefined) mkdirSync(this.#abs(rel), { mode: 0o700 });
      else if (!stats.isDirectory() || (!this.#replace && this.#dirs.get(rel)?.entry !== undefined)) this.#duplicate(rel, undefined);
      this.#knownDirs.add(rel);
    } else if (!this.#replace && this.#dirs.get('')?.entry !== undefined) {
      this.#duplicate(rel, undefined);
    }
    this.#dirs.set(rel, { rel, entry });
  }

  #makeSymlink(rel: string, entry: TarEntry): void {
    try {
      symlinkSync(entry.linkname ?? '', this.#abs(rel));
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') this.#duplicate(rel, error);
      throw error;
    }
    if (this.#preserveOwnership) lchownSync(this.#abs(rel), entry.uid, entry.gid);
    lutimesSync(this.#abs(rel), entry.atime, entry.mtime);
    this.#skipXattrs(rel, entry);
    this.#recorder?.symlink(rel, entry.linkname ?? '', entry.uid, entry.gid);
  }

  #makeHardlink(rel: string, entry: TarEntry): void {
    const targetRel = (entry.linkname ?? '').slice('rootfs/'.length);
    this.#ensureParents(targetRel, false);
    const stats = lstatOrUndefined(this.#abs(targetRel));
    if (stats === undefined || stats.isDirectory()) {
      throw invalidArgument(
        'ERR_TAR_BAD_LINK',
        `${this.#sourceName}: hardlink "rootfs/${rel}" -> "${entry.linkname ?? ''}": ${stats === undefined ? 'the target is not an earlier entry of the archive' : 'the target is a directory'}`,
      );
    }
    try {
      linkSync(this.#abs(targetRel), this.#abs(rel));
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') this.#duplicate(rel, error);
      throw error;
    }
    const digest = this.#digests.get(targetRel);
    if (digest !== undefined) this.#digests.set(rel, digest);
    this.#recorder?.hardlink(rel, targetRel);
  }

  async #makeNode(rel: string, entry: TarEntry): Promise<void> {
    try {
      await makeNode(this.#abs(rel), entry);
    } catch (error) {
      const stderr = (error as { stderr?: unknown }).stderr;
      const detail = typeof stderr === 'string' ? stderr.trim() : String(error);
      if (detail.includes('File exists')) this.#duplicate(rel, error);
      throw runtimeFailure('ERR_MKNOD_FAILED', `${this.#sourceName}: cannot create ${entry.type} "rootfs/${rel}": ${detail}`, { cause: error });
    }
    if (this.#preserveOwnership) lchownSync(this.#abs(rel), entry.uid, entry.gid);
    // The node was just created by us inside our private directory: chmod by path is safe here.
    chmodSync(this.#abs(rel), entry.mode);
    lutimesSync(this.#abs(rel), entry.atime, entry.mtime);
    this.#skipXattrs(rel, entry);
    const type = entry.type === 'fifo' ? 'fifo' : entry.type === 'char-device' ? 'char' : 'block';
    this.#recorder?.node(rel, type, entry.mode, entry.uid, entry.gid, entry.devmajor, entry.devminor);
  }

  #skipXattrs(rel: string, entry: TarEntry): void {
    for (const name of entry.xattrs.keys()) this.#skipped.push(`${rel}: ${name}`);
  }

  /** Apply directory metadata (deepest first) and report. Call once, after the last entry. */
  async finish(): Promise<ExtractionReport> {
    const dirs = [...this.#dirs.values()].sort((a, b) => depth(b.rel) - depth(a.rel));
    for (const dir of dirs) {
      const fd = openSync(this.#abs(dir.rel), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      try {
        if (dir.entry === undefined) {
          // Implied by a deeper entry but not in the archive: root-owned 0755, like GNU tar
          // (unless the caller knows better: options.impliedDir).
          const meta = this.#impliedDir?.(dir.rel) ?? { mode: 0o755, uid: 0, gid: 0 };
          if (this.#preserveOwnership) fchownSync(fd, meta.uid, meta.gid);
          fchmodSync(fd, meta.mode);
          this.#recorder?.dir(dir.rel, meta.mode, meta.uid, meta.gid);
        } else {
          await this.#applyMetadata(fd, dir.rel, dir.entry);
          this.#recorder?.dir(dir.rel, dir.entry.mode, dir.entry.uid, dir.entry.gid);
        }
      } finally {
        closeSync(fd);
      }
    }
    return { contentDigests: this.#digests, contentBytes: this.#bytes, skippedXattrs: this.#skipped };
  }

  /**
   * After {@link finish}: the tree hash of what was written, from the writer's own record, given
   * the content digests (by default its own); undefined when only a walk can tell.
   */
  treeHash(digests: ReadonlyMap<string, string> = this.#digests): TreeHash | undefined {
    return this.#recorder?.hash(digests);
  }
}
