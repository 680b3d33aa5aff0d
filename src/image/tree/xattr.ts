/**
 * @module xattr — extended attributes on open file descriptors, through the installed
 * `fs-native-extensions` addon (fgetxattr/fsetxattr/flistxattr). Node has no xattr API of its
 * own and the host has no `setfattr`. Working on descriptors (never paths) means a symlink is
 * never followed; it also means xattrs are only handled on regular files and directories —
 * opening a fifo or device node to reach its xattrs would block or have side effects.
 */
import { createRequire } from 'node:module';
import { errnoCode } from '../../util/index.js';

/** The part of `fs-native-extensions` used here (the package ships no types). */
interface NativeXattr {
  setAttr(fd: number, name: string, value: Buffer): Promise<void>;
  getAttr(fd: number, name: string): Promise<Buffer | null>;
  listAttrs(fd: number): Promise<string[]>;
}

let addon: NativeXattr | undefined;
// Loaded on first use: most importers of the image layer never touch an xattr.
function native(): NativeXattr {
  addon ??= createRequire(import.meta.url)('fs-native-extensions') as NativeXattr;
  return addon;
}

/** Errnos meaning "this filesystem or this process cannot hold that attribute". */
const UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EACCES']);

/**
 * Set `name` = `value` on the open file `fd`. Resolves to false (not set) when the filesystem
 * does not support that attribute or the process may not set it (e.g. `trusted.*` without
 * CAP_SYS_ADMIN); other failures throw.
 */
export async function setXattr(fd: number, name: string, value: string | Buffer): Promise<boolean> {
  try {
    await native().setAttr(fd, name, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
    return true;
  } catch (error) {
    if (UNSUPPORTED.has(errnoCode(error) ?? '')) return false;
    throw error;
  }
}

/** All extended attributes of the open file `fd`, by name (empty when unsupported). */
export async function readXattrs(fd: number): Promise<Map<string, Buffer>> {
  const attributes = new Map<string, Buffer>();
  let names: string[];
  try {
    names = await native().listAttrs(fd);
  } catch (error) {
    if (UNSUPPORTED.has(errnoCode(error) ?? '')) return attributes;
    throw error;
  }
  // Through an overlay mount, the size listxattr reports counts overlayfs' own hidden
  // attributes of a lower layer (`trusted.overlay.opaque`) that the list then leaves out: the
  // addon splits the zero padding into empty names, which are not attributes.
  names = names.filter((name) => name !== '');
  for (const name of names) {
    let value: Buffer | null;
    try {
      value = await native().getAttr(fd, name);
    } catch (error) {
      // Listed but not readable here (overlayfs refuses its own `trusted.overlay.*` of a
      // lower layer): not an attribute this file can give.
      if (UNSUPPORTED.has(errnoCode(error) ?? '')) continue;
      throw error;
    }
    if (value !== null) attributes.set(name, value);
  }
  return attributes;
}
