/**
 * @module cli/code-cache — where the launcher keeps V8's code cache of the bundled CLI, and
 * which cache file a command line uses.
 *
 * Why: compiling the ~1 MB of JavaScript a command like `run` needs costs ~20 ms per process,
 * and Node 20 has no code cache for ES modules. The launcher (launch.ts) compiles one CommonJS
 * bundle with `vm.Script` and V8's cached data instead; a process that found no usable cache
 * writes one when it exits successfully (not for --help), holding every function the command
 * compiled. One file per command word, since `version` and `run` compile different functions.
 *
 * The cache is bytecode the CLI runs (as root, mostly), so it is only read from a directory
 * and file owned by the running user and writable by nobody else, opened without following
 * symlinks; anything else is ignored (never an error: the cache only saves time). Files of
 * other bundles (an upgrade) are removed when a new one is written.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `ROCKLET_CODE_CACHE`: a directory, or `off`. */
export const CODE_CACHE_ENV = 'ROCKLET_CODE_CACHE';
/** root's cache directory (FHS: data an application can regenerate). */
export const SYSTEM_CODE_CACHE_DIR = '/var/cache/rocklet/code';
/** How many cache files one bundle keeps (one per command word; stray words are capped). */
const MAX_FILES = 32;

/**
 * The cache directory for this process: `ROCKLET_CODE_CACHE` when set (`off` disables the
 * cache), else /var/cache/rocklet/code for root and `$XDG_CACHE_HOME/rocklet/code` (or
 * ~/.cache/rocklet/code) for anyone else.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv, euid: number, home: string): string | undefined {
  const chosen = env[CODE_CACHE_ENV];
  if (chosen === 'off') return undefined;
  if (chosen !== undefined && chosen !== '') return path.isAbsolute(chosen) ? chosen : undefined;
  if (euid === 0) return SYSTEM_CODE_CACHE_DIR;
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : home === '' ? undefined : path.join(home, '.cache');
  return base === undefined ? undefined : path.join(base, 'rocklet', 'code');
}

/**
 * The command `argv` runs, which names the cache file: its first word that looks like one, with
 * the next word when the first is a group (`groups`: image, pod, app…; `image list` and
 * `image build` compile different code). A flag's value mistaken for a word only costs a file
 * of its own.
 */
export function commandWord(argv: readonly string[], groups: readonly string[] = []): string {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg === '--') break;
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(arg)) continue;
    words.push(arg);
    if (words.length === 2 || !groups.includes(arg)) break;
  }
  return words.length === 0 ? 'none' : words.join('.');
}

/** Whether `argv` asks for help rather than the command's work (no cache is made from it). */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h' || arg === 'help') return true;
  }
  return false;
}

/**
 * The cache file's name: the bundle, the V8 that made it, Node's options when there are any
 * (V8 refuses a cache made under other flags: the daemon's NODE_OPTIONS must not make `rocklet
 * daemon` run by hand rewrite it every time), the command word.
 */
export function codeCacheFileName(bundleId: string, v8Version: string, word: string, nodeOptions = ''): string {
  const flags = nodeOptions.trim() === '' ? '' : `.o${createHash('sha256').update(nodeOptions.trim()).digest('hex').slice(0, 8)}`;
  return `${bundleId}-v8.${v8Version.replace(/[^0-9A-Za-z.]/g, '_')}${flags}-${word}.bin`;
}

function privateTo(mode: number, uid: number, euid: number): boolean {
  return uid === euid && (mode & 0o022) === 0;
}

/** Makes `dir` (0700) if it is missing; true when it is a directory only `euid` can write. */
function ensureTrustedDir(dir: string, euid: number): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    return st.isDirectory() && privateTo(st.mode, st.uid, euid);
  } catch {
    return false;
  }
}

/** The cached data in `file`, if it is a regular file only `euid` can write; else undefined. */
export function readCodeCache(dir: string, fileName: string, euid: number): Buffer | undefined {
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || !privateTo(st.mode, st.uid, euid)) return undefined;
  } catch {
    return undefined;
  }
  let fd: number;
  try {
    fd = openSync(path.join(dir, fileName), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || !privateTo(st.mode, st.uid, euid)) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` as `fileName` in `dir` (made 0700 if missing): a temp file (0600) renamed over
 * the old one, so a concurrent reader sees the old file or the new, never half of one. Then
 * removes files of other bundles, and the oldest of this one beyond {@link MAX_FILES}.
 */
export function writeCodeCache(dir: string, fileName: string, data: Buffer, euid: number): void {
  if (!ensureTrustedDir(dir, euid)) return;
  const target = path.join(dir, fileName);
  const temp = path.join(dir, `.${fileName}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    renameSync(temp, target);
  } catch {
    // A full disk or a read-only mount: no cache this time; the temp file must not stay.
    removeFile(temp);
    return;
  }
  pruneCodeCache(dir, fileName.slice(0, fileName.indexOf('-v8.') + 1));
}

function pruneCodeCache(dir: string, bundlePrefix: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // pruning waits for the next write
  }
  const ours: { name: string; mtime: number }[] = [];
  for (const name of names) {
    if (!name.endsWith('.bin')) continue;
    if (!name.startsWith(bundlePrefix)) {
      if (!removeFile(path.join(dir, name))) return;
      continue;
    }
    try {
      ours.push({ name, mtime: lstatSync(path.join(dir, name)).mtimeMs });
    } catch {
      continue; // removed by a concurrent writer: nothing to prune
    }
  }
  ours.sort((a, b) => b.mtime - a.mtime);
  for (const { name } of ours.slice(MAX_FILES)) if (!removeFile(path.join(dir, name))) return;
}

/** Removes `file`; true when it is gone (also when a concurrent writer removed it first). */
function removeFile(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** The home directory for {@link codeCacheDir}; '' when there is none. */
export function homeDir(): string {
  try {
    return os.homedir();
  } catch {
    return '';
  }
}
