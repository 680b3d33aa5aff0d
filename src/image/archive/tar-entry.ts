/**
 * @module tar-entry — turn raw tar headers into checked ACI entries. Paths are cleaned
 * (`./rootfs//a` → `rootfs/a`); absolute paths, `..` components, symlinks whose target climbs
 * out of rootfs/ and hardlinks to anything outside rootfs/ are refused here, before anything
 * touches the disk.
 */
import path from 'node:path';
import type { Header } from 'tar-stream';
import { invalidArgument } from '../../util/index.js';

export const ENTRY_TYPES = ['file', 'directory', 'symlink', 'hardlink', 'char-device', 'block-device', 'fifo'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];


/** The prefix of pax records carrying extended attributes (GNU tar, bsdtar, star). */
export const XATTR_PAX_PREFIX = 'SCHILY.xattr.';

/** A checked tar entry. `name` is the cleaned archive path (`manifest`, `rootfs`, `rootfs/bin`). */
export interface TarEntry {
  readonly name: string;
  readonly type: EntryType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: Date;
  readonly atime: Date;
  /** Symlink: the target as written. Hardlink: the cleaned archive path of the target. */
  readonly linkname?: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** Extended attributes from `SCHILY.xattr.*` pax records (values as tar-stream decodes them: UTF-8). */
  readonly xattrs: ReadonlyMap<string, string>;
}

function unsafePath(sourceName: string, raw: string, why: string): never {
  throw invalidArgument('ERR_TAR_UNSAFE_PATH', `${sourceName}: refusing tar entry "${raw}": ${why}`, {
    hint: 'the archive tries to write outside its root; do not use this image',
  });
}

/**
 * Clean an archive path; throws `ERR_TAR_UNSAFE_PATH` for `..` components and, unless
 * `absolute` is `under-root` (OCI layers: `/etc/x` is `etc/x`), for absolute paths.
 */
export function cleanArchivePath(raw: string, sourceName: string, absolute: 'refuse' | 'under-root' = 'refuse'): string {
  if (raw.startsWith('/') && absolute === 'refuse') unsafePath(sourceName, raw, 'absolute paths are not allowed');
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) unsafePath(sourceName, raw, '".." path components are not allowed');
  if (raw.includes('\0')) unsafePath(sourceName, raw, 'NUL bytes are not allowed');
  return parts.join('/');
}

function entryType(header: Header, sourceName: string, name: string): EntryType {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    case 'character-device':
      return 'char-device';
    case 'block-device':
      return 'block-device';
    case 'fifo':
      return 'fifo';
  }
  // tar-stream reports typeflags it does not know (GNU sparse files, volume labels …) as null.
  throw invalidArgument('ERR_TAR_UNSUPPORTED_ENTRY', `${sourceName}: tar entry "${name}" has an unsupported type`);
}

/** The pax records tar-stream decoded for an entry (its typings say `unknown`). */
function paxRecords(header: Header): Record<string, string> {
  const records: Record<string, string> = {};
  if (typeof header.pax !== 'object' || header.pax === null) return records;
  for (const [key, value] of Object.entries(header.pax)) if (typeof value === 'string') records[key] = value;
  return records;
}

/** Check that a symlink at rootfs-relative `at` pointing to `target` stays inside rootfs/. */
export function checkSymlinkTarget(sourceName: string, name: string, at: string, target: string): void {
  if (target === '') {
    throw invalidArgument('ERR_TAR_UNSAFE_LINK', `${sourceName}: symlink "${name}" has an empty target`);
  }
  // An absolute target is resolved against the container's root, never the host's: allowed.
  if (target.startsWith('/')) return;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(at), target));
  if (resolved === '..' || resolved.startsWith('../')) {
    throw invalidArgument('ERR_TAR_UNSAFE_LINK', `${sourceName}: refusing symlink "${name}" -> "${target}": it points outside rootfs/`, {
      hint: 'the archive tries to reach outside its root; do not use this image',
    });
  }
}

/** Turn a tar-stream header into a checked entry (paths cleaned, links checked). */
export function toTarEntry(header: Header, sourceName: string): TarEntry {
  const name = cleanArchivePath(header.name, sourceName);
  const type = entryType(header, sourceName, header.name);
  const mtime = header.mtime;
  const pax = paxRecords(header);
  const xattrs = new Map<string, string>();
  for (const [key, value] of Object.entries(pax)) {
    if (key.startsWith(XATTR_PAX_PREFIX)) xattrs.set(key.slice(XATTR_PAX_PREFIX.length), value);
  }
  const paxTime = (key: string): Date | undefined => {
    const value = pax[key];
    const seconds = value === undefined ? Number.NaN : Number.parseFloat(value);
    return Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
  };
  let linkname: string | undefined;
  if (type === 'symlink') linkname = header.linkname ?? '';
  if (type === 'hardlink') {
    const raw = header.linkname ?? '';
    const target = cleanArchivePath(raw, sourceName);
    if (!target.startsWith('rootfs/')) {
      throw invalidArgument('ERR_TAR_UNSAFE_LINK', `${sourceName}: refusing hardlink "${header.name}" -> "${raw}": it points outside rootfs/`, {
        hint: 'the archive tries to reach outside its root; do not use this image',
      });
    }
    linkname = target;
  }
  const modified = paxTime('mtime') ?? mtime;
  return {
    name,
    type,
    mode: (header.mode ?? 0o644) & 0o7777,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    size: type === 'file' ? (header.size ?? 0) : 0,
    mtime: modified,
    atime: paxTime('atime') ?? modified,
    ...(linkname === undefined ? {} : { linkname }),
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
    xattrs,
  };
}
