/**
 * @module daemon/pod-dir — which names in the pod directory are pod files, and reading one
 * with the daemon's safety rules (DESIGN.md §1.5, §6).
 *
 * Only `*.yaml`, `*.yml` and `*.json` directly in the directory count. Dot-files (vim's
 * `.web.yaml.swp`, emacs' `.#web.yaml`), backups (`web.yaml~`, `web.yaml.bak`, `.orig`,
 * `.dpkg-old`, `.rpmnew` …) and vim's write test `4913` are not pod files: each is ignored
 * (and logged once by the source). A pod file must be a regular file, or a symlink to one,
 * owned by root and not writable by group or others: anyone who can write a pod file can run
 * anything as root, so a looser file is `Invalid` with that reason, never run.
 */
import type { Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic, PodFileResult } from '../podfile/index.js';
import type { PodFileOptions } from '../podfile/index.js';
import { formatDiagnostic, readPodFile } from '../podfile/index.js';
import { errnoCode } from '../util/index.js';

declare const podFileKeyBrand: unique symbol;
/** A pod file's name inside the pod directory (no slash): the daemon's key for it. */
export type PodFileKey = string & { readonly [podFileKeyBrand]: true };

const POD_FILE_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/** What a directory entry name is to the daemon. */
export type EntryKind = { readonly kind: 'pod-file'; readonly key: PodFileKey } | { readonly kind: 'ignored'; readonly reason: string };

/** Classifies a name found in the pod directory (names only; the file is not looked at). */
export function classifyEntry(name: string): EntryKind {
  if (name === '' || name.includes('/')) return { kind: 'ignored', reason: 'not a file name' };
  if (name.startsWith('.')) return { kind: 'ignored', reason: 'a dot-file (editor swap and lock files are dot-files)' };
  if (!POD_FILE_EXTENSIONS.some((ext) => name.endsWith(ext) && name.length > ext.length)) {
    return { kind: 'ignored', reason: 'not named *.yaml, *.yml or *.json (backups and editor leftovers are ignored)' };
  }
  return { kind: 'pod-file', key: name as PodFileKey };
}

/** Identity of a file's content as seen by stat: a changed fingerprint means "read it again". */
export interface FileFingerprint {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
}

function fingerprintOf(stats: Stats): FileFingerprint {
  const ns = (ms: number): string => Math.round(ms * 1e6).toString();
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeNs: ns(stats.mtimeMs), ctimeNs: ns(stats.ctimeMs) };
}

export function sameFingerprint(a: FileFingerprint | undefined, b: FileFingerprint | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** One pod file as read: gone, refused before parsing, or parsed (valid or not). */
export type ReadPodFile =
  | { readonly kind: 'missing' }
  /** The stat fingerprint equals the one the caller passed: not read again. */
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'refused'; readonly reason: string; readonly fingerprint?: FileFingerprint }
  | { readonly kind: 'parsed'; readonly result: PodFileResult; readonly fingerprint: FileFingerprint };

/**
 * Why a file with these stats may not be run, or undefined when it may. `checkOwner: false`
 * leaves out the owner and mode rules: for a bundle checked in a checkout (`rocklet validate
 * DIR`, `plan --fresh`), whose files the provisioning writes as root on the machine.
 */
export function unsafeFileReason(stats: Stats, viaSymlink: boolean, checkOwner = true): string | undefined {
  const what = viaSymlink ? 'the symlink\'s target' : 'the file';
  if (stats.isDirectory()) return `${what} is a directory, not a pod file`;
  if (!stats.isFile()) return `${what} is not a regular file (a device, FIFO or socket)`;
  if (!checkOwner) return undefined;
  if (stats.uid !== 0) return `${what} is owned by uid ${stats.uid}; pod files must be owned by root (chown root FILE)`;
  const mode = stats.mode & 0o7777;
  if ((mode & 0o022) !== 0) {
    return `${what} is writable by ${(mode & 0o002) !== 0 ? 'everyone' : 'its group'} (mode ${mode.toString(8).padStart(4, '0')}); pod files must not be group- or world-writable (chmod go-w FILE)`;
  }
  return undefined;
}

/**
 * Reads `<dir>/<key>` under the daemon's rules. `nodeName` is this machine's name (for
 * `spec.nodeName`). File-level problems are `refused`; parse and validation problems are a
 * failed `PodFileResult`. Errors that are not about the file (EMFILE …) are thrown.
 */
export async function readDaemonPodFile(dir: string, key: PodFileKey, nodeName: string | PodFileOptions, previous?: FileFingerprint, checkOwner = true): Promise<ReadPodFile> {
  const file = path.join(dir, key);
  let linkStats: Stats;
  try {
    linkStats = await lstat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  let stats = linkStats;
  const viaSymlink = linkStats.isSymbolicLink();
  if (viaSymlink) {
    try {
      stats = await stat(file);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return { kind: 'refused', reason: 'a dangling symlink (its target does not exist)', fingerprint: fingerprintOf(linkStats) };
      if (code === 'ELOOP') return { kind: 'refused', reason: 'a symlink loop', fingerprint: fingerprintOf(linkStats) };
      throw error;
    }
  }
  const fingerprint = fingerprintOf(stats);
  // The periodic scan stats every file; only a changed one is read and parsed again.
  if (sameFingerprint(previous, fingerprint)) return { kind: 'unchanged' };
  const unsafe = unsafeFileReason(stats, viaSymlink, checkOwner);
  if (unsafe !== undefined) return { kind: 'refused', reason: unsafe, fingerprint };
  const result = await readPodFile(file, typeof nodeName === 'string' ? { nodeName } : nodeName);
  return { kind: 'parsed', result, fingerprint };
}

/** One line for a failed parse: the first error (file:line:col: path: message) and how many more. */
export function summarizeErrors(errors: readonly Diagnostic[]): string {
  const [first] = errors;
  if (first === undefined) return 'invalid pod file';
  const more = errors.length - 1;
  return `${formatDiagnostic(first, { showSeverity: false })}${more > 0 ? ` (and ${more} more error${more === 1 ? '' : 's'})` : ''}`;
}
