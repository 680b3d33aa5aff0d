/**
 * @module aci-build — write an ACI from a directory holding `manifest` and `rootfs/`, like
 * `actool build`: the manifest is validated first, entries are written in sorted order with
 * modes, ownership, mtimes, hardlinks, device nodes and xattrs (as `SCHILY.xattr.*` pax
 * records), and the output appears atomically (temp file + fsync + rename), never half-written.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { constants as fsConstants, createWriteStream } from 'node:fs';
import { lstat, open, readFile, readdir, readlink, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Header, Pack } from 'tar-stream';
import { errnoCode, fsyncDir, invalidArgument } from '../../../util/index.js';
import { checkDestination } from './aci-extract.js';
import type { ImageId } from './image-id.js';
import { imageIdFromHex } from './image-id.js';
import type { ImageManifest } from './manifest.js';
import { parseImageManifest } from './manifest.js';
import { XATTR_PAX_PREFIX } from '../../archive/tar-entry.js';
import { readXattrs } from '../../tree/xattr.js';

/** Options of {@link buildAci}. */
export interface BuildAciOptions {
  /** Replace an existing output file (otherwise `ERR_DESTINATION_EXISTS`). */
  readonly overwrite?: boolean;
  /** Default `gzip`, like actool; `none` writes a plain tar. */
  readonly compression?: 'none' | 'gzip';
}

/** What {@link buildAci} wrote. */
export interface BuildAciResult {
  readonly id: ImageId;
  readonly manifest: ImageManifest;
  readonly sizeBytes: number;
}

/**
 * Build `out` from `dir` (`dir/manifest` + `dir/rootfs/`). Throws `ERR_MANIFEST_NOT_JSON` /
 * `ERR_INVALID_MANIFEST` for a bad manifest, `ERR_BUILD_NO_MANIFEST`, `ERR_ACI_NO_ROOTFS`,
 * `ERR_DESTINATION_EXISTS`, `ERR_BUILD_UNSUPPORTED_FILE` (sockets).
 */
export async function buildAci(dir: string, out: string, options: BuildAciOptions = {}): Promise<BuildAciResult> {
  const manifestPath = path.join(dir, 'manifest');
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw invalidArgument('ERR_BUILD_NO_MANIFEST', `${dir} has no manifest file`, { cause: error });
    throw error;
  }
  const manifest = parseImageManifest(manifestText, manifestPath);
  const rootfs = path.join(dir, 'rootfs');
  const rootStats = await lstat(rootfs).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  });
  if (rootStats?.isDirectory() !== true) throw invalidArgument('ERR_ACI_NO_ROOTFS', `${dir} has no rootfs directory`);
  await checkDestination(out, options.overwrite === true);

  const temp = path.join(path.dirname(out), `.${path.basename(out)}.tmp-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha512');
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback): void {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  // Loaded here, not at the top: every importer of the image layer would pay for tar-stream.
  const { pack: createPack } = await import('tar-stream');
  const pack = createPack();
  let renamed = false;
  try {
    const sink = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
    const source = Readable.from(pack as AsyncIterable<Buffer>);
    // node:zlib only when compressing: it costs every importer of the image layer ~8 ms.
    const gzip = options.compression === 'none' ? undefined : (await import('node:zlib')).createGzip();
    const piped = gzip === undefined ? pipeline(source, hasher, sink) : pipeline(source, hasher, gzip, sink);
    const writing = piped.then(() => undefined, (error: unknown) => {
      // Unblock the producer, which may be waiting for the pack to drain.
      pack.destroy(error instanceof Error ? error : undefined);
      return error;
    });
    const producing = produce(pack, manifestText, manifestPath, rootfs).then(() => undefined, (error: unknown) => {
      pack.destroy(error instanceof Error ? error : undefined);
      return error;
    });
    const failure = (await producing) ?? (await writing);
    if (failure !== undefined) throw failure as Error;
    const sizeBytes = await syncFile(temp);
    await rename(temp, out);
    renamed = true;
    await fsyncDir(path.dirname(out));
    return { id: imageIdFromHex(hash.digest('hex')), manifest, sizeBytes };
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
}

/** fsync a written file; returns its size. */
async function syncFile(file: string): Promise<number> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/**
 * A file's mtime as a tar header holds it: whole seconds, truncated as GNU tar does. Not
 * `stats.mtime`: Node rounds that Date to the nearest millisecond, so a file modified in the last
 * half millisecond of a second would be archived a second late.
 */
function tarMtime(stats: Stats): Date {
  return new Date(Math.floor(stats.mtimeMs / 1000) * 1000);
}

async function produce(pack: Pack, manifestText: string, manifestPath: string, rootfs: string): Promise<void> {
  const manifestStats = await lstat(manifestPath);
  await addEntry(pack, { name: 'manifest', type: 'file', mode: 0o644, mtime: tarMtime(manifestStats), uid: 0, gid: 0 }, Buffer.from(manifestText));
  const hardlinks = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '' ? rootfs : path.join(rootfs, rel);
    const stats = await lstat(abs);
    const name = rel === '' ? 'rootfs' : `rootfs/${rel}`;
    await addPath(pack, { name, abs, stats, hardlinks });
    if (!stats.isDirectory()) return;
    for (const child of (await readdir(abs)).sort()) await visit(rel === '' ? child : `${rel}/${child}`);
  };
  await visit('');
  pack.finalize();
}

interface PathToAdd {
  readonly name: string;
  readonly abs: string;
  readonly stats: Stats;
  readonly hardlinks: Map<string, string>;
}

async function addPath(pack: Pack, { name, abs, stats, hardlinks }: PathToAdd): Promise<void> {
  const base = { name, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, mtime: tarMtime(stats) };
  if (stats.isSymbolicLink()) return addEntry(pack, { ...base, type: 'symlink', linkname: await readlink(abs) });
  if (stats.isFIFO()) return addEntry(pack, { ...base, type: 'fifo' });
  if (stats.isCharacterDevice() || stats.isBlockDevice()) {
    const rdev = BigInt(stats.rdev);
    const devmajor = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
    const devminor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
    return addEntry(pack, { ...base, type: stats.isCharacterDevice() ? 'character-device' : 'block-device', devmajor, devminor });
  }
  if (stats.isDirectory()) return addEntry(pack, { ...base, type: 'directory', ...(await paxXattrs(abs, fsConstants.O_DIRECTORY)) });
  if (!stats.isFile()) throw invalidArgument('ERR_BUILD_UNSUPPORTED_FILE', `cannot put ${abs} in an ACI: sockets are not supported`);
  const inode = `${stats.dev}:${stats.ino}`;
  const first = stats.nlink > 1 ? hardlinks.get(inode) : undefined;
  if (first !== undefined) return addEntry(pack, { ...base, type: 'link', linkname: first, size: 0 });
  if (stats.nlink > 1) hardlinks.set(inode, name);
  const handle = await open(abs, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    const xattrs = await paxXattrsOf(handle.fd);
    const sink = pack.entry({ ...base, type: 'file', size: stats.size, ...xattrs });
    const done = new Promise<void>((resolve, reject) => {
      sink.on('error', reject);
      sink.on('finish', resolve);
      sink.on('close', () => reject(new Error('tar writer closed')));
    });
    for (;;) {
      // A fresh buffer per chunk: tar-stream queues written buffers without copying them.
      const buffer = Buffer.allocUnsafe(1024 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      if (!sink.write(buffer.subarray(0, bytesRead))) await drained(sink);
    }
    sink.end(undefined);
    await done;
  } finally {
    await handle.close();
  }
}

/** Resolve when a streamx writable drains; reject when it closes first (the pack was destroyed). */
function drained(stream: ReturnType<Pack['entry']>): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      stream.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      stream.off('drain', onDrain);
      reject(new Error('tar writer closed'));
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

function addEntry(pack: Pack, header: Partial<Header> & Pick<Header, 'name'>, content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const callback = (error?: Error | null): void => (error ? reject(error) : resolve());
    if (content === undefined) pack.entry(header, callback);
    else pack.entry(header, content, callback);
  });
}

async function paxXattrs(abs: string, extraFlags: number): Promise<{ pax?: Record<string, string> }> {
  const handle = await open(abs, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | extraFlags);
  try {
    return await paxXattrsOf(handle.fd);
  } finally {
    await handle.close();
  }
}

async function paxXattrsOf(fd: number): Promise<{ pax?: Record<string, string> }> {
  const xattrs = await readXattrs(fd);
  if (xattrs.size === 0) return {};
  const pax: Record<string, string> = {};
  for (const [name, value] of xattrs) pax[`${XATTR_PAX_PREFIX}${name}`] = value.toString('utf8');
  return { pax };
}
