/**
 * @module cli/commands/image-validate-file — check one file for `image validate`: an image
 * manifest (JSON: the first non-blank byte is `{`) or an ACI (anything else; compression is
 * sniffed by magic bytes). An ACI is read whole, as an import would read it (layout, safe
 * paths, manifest, end-of-archive marker), without writing anything.
 */
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { ImageId, Problem } from '../../image/index.js';
import { MAX_MANIFEST_BYTES, manifestProblems, readAci, validateImageManifest } from '../../image/index.js';
import { errnoCode, isErrorCategory, isRockletError } from '../../util/index.js';

export type ValidatedKind = 'manifest' | 'aci';

/** The verdict on one file. */
export interface FileVerdict {
  readonly file: string;
  readonly valid: boolean;
  /** What the file was read as; undefined when it could not be read at all. */
  readonly kind?: ValidatedKind;
  /** For a valid ACI: its image ID. */
  readonly id?: ImageId;
  /** For a valid file: the image name. */
  readonly name?: string;
  /** Manifest problems, each with its field path. */
  readonly problems: readonly Problem[];
  /** Why the file is not a valid manifest or ACI, when it is not about manifest fields. */
  readonly error?: { readonly code: string; readonly message: string };
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'a path component is not a directory',
  ELOOP: 'too many symbolic links', ENAMETOOLONG: 'name too long', EPERM: 'operation not permitted',
};

function failure(file: string, code: string, message: string, kind?: ValidatedKind): FileVerdict {
  return { file, valid: false, ...(kind === undefined ? {} : { kind }), problems: [], error: { code, message } };
}

/** An errno we can name as the file's fault, as a verdict; other errors are rethrown. */
function unreadable(file: string, error: unknown): FileVerdict {
  const code = errnoCode(error);
  const text = code === undefined ? undefined : ERRNO_TEXT[code];
  if (code === undefined || text === undefined) throw error;
  return failure(file, 'ERR_FILE_UNREADABLE', `cannot read file: ${text} (${code})`);
}

async function readHead(handle: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.min(size, MAX_MANIFEST_BYTES + 1));
  let length = 0;
  while (length < buffer.length) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

function checkManifest(file: string, bytes: Buffer): FileVerdict {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    return failure(file, 'ERR_MANIFEST_TOO_LARGE', `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes`, 'manifest');
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return failure(file, 'ERR_MANIFEST_NOT_JSON', `not valid JSON: ${(error as Error).message}`, 'manifest');
  }
  const result = validateImageManifest(json);
  if (!result.ok) return { file, valid: false, kind: 'manifest', problems: result.problems };
  return { file, valid: true, kind: 'manifest', name: result.manifest.name, problems: [] };
}

async function checkAci(file: string, signal: AbortSignal): Promise<FileVerdict> {
  try {
    const read = await readAci(file, { signal });
    return { file, valid: true, kind: 'aci', id: read.id, name: read.manifest.name, problems: [] };
  } catch (error) {
    const problems = manifestProblems(error);
    if (problems !== undefined) return { file, valid: false, kind: 'aci', problems };
    if (!isRockletError(error)) return unreadable(file, error);
    // Bad input is the file's verdict; anything else (no xz on this host) is rocklet failing.
    if (!isErrorCategory(error, 'invalid-argument') && !isErrorCategory(error, 'not-found')) throw error;
    // Reader messages start with the source name; the verdict line adds it again.
    const text = error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message;
    return failure(file, error.code, text, 'aci');
  }
}

/** Validate `file` as an image manifest or an ACI. Throws only when rocklet itself fails. */
export async function validateImageFile(file: string, signal: AbortSignal): Promise<FileVerdict> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO must not hang the check.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return unreadable(file, error);
  }
  let head: Buffer;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return failure(file, 'ERR_NOT_A_FILE', `not a regular file (${stats.isDirectory() ? 'a directory' : 'a device, FIFO or socket'})`);
    head = await readHead(handle, stats.size);
  } catch (error) {
    return unreadable(file, error);
  } finally {
    await handle.close();
  }
  const first = head.toString('latin1').trimStart()[0];
  return first === '{' ? checkManifest(file, head) : checkAci(file, signal);
}
