/**
 * @module podfile/config-dir — the shared ConfigMaps and Secrets: `<config-dir>/configmaps/` and
 * `<config-dir>/secrets/`, every `*.yaml|*.yml|*.json` directly inside (one or more objects of
 * the directory's kind per file). The same rules as pod files, stricter for Secrets: each file
 * and directory owned by root and not group/world-writable; `secrets/` itself mode 0700 and its
 * files readable by root only (0600 or stricter). A refused or invalid file contributes no
 * objects; its problem is reported (and named by a pod that then misses an object).
 */
import type { Stats } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, loadYaml } from '../util/index.js';
import type { ConfigLookup } from './config-refs.js';
import { formatDiagnostic } from './diagnostics.js';
import { PARSE_LIMITS } from './node.js';
import { parseConfigObjectFile } from './pod-file.js';
import type { ConfigObject, ConfigObjectKind } from './types.js';

export const CONFIG_OBJECT_DIRS: Readonly<Record<ConfigObjectKind, string>> = { ConfigMap: 'configmaps', Secret: 'secrets' };

/** A file that contributed nothing, and why. */
export interface ConfigFileProblem {
  readonly kind: ConfigObjectKind;
  readonly file: string;
  readonly reason: string;
}

/** The shared objects as last read, with the problems of the files that were refused. */
export interface SharedConfigObjects extends ConfigLookup {
  readonly objects: readonly ConfigObject[];
  readonly problems: readonly ConfigFileProblem[];
}

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Why a file or directory of `kind` with these stats may not be used, or undefined. */
export function unsafeConfigPath(stats: Stats, kind: ConfigObjectKind, isDir: boolean): string | undefined {
  const what = isDir ? 'the directory' : 'the file';
  if (stats.uid !== 0) return `${what} is owned by uid ${stats.uid}; it must be owned by root (chown root)`;
  const mode = stats.mode & 0o7777;
  if (kind === 'Secret') {
    const allowed = isDir ? 0o700 : 0o600;
    if ((mode & ~allowed & 0o777) !== 0) {
      return `${what} is mode ${modeText(mode)}: Secrets must be readable by root only (chmod ${isDir ? '0700' : '0600'})`;
    }
    return undefined;
  }
  if ((mode & 0o022) !== 0) return `${what} is mode ${modeText(mode)}: it must not be group- or world-writable (chmod go-w)`;
  return undefined;
}

async function readKindDir(configDir: string, kind: ConfigObjectKind, objects: ConfigObject[], problems: ConfigFileProblem[]): Promise<void> {
  const dir = path.join(configDir, CONFIG_OBJECT_DIRS[kind]);
  let dirStats: Stats;
  try {
    dirStats = await stat(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  const dirProblem = dirStats.isDirectory() ? unsafeConfigPath(dirStats, kind, true) : 'not a directory';
  if (dirProblem !== undefined) {
    problems.push({ kind, file: dir, reason: dirProblem });
    return;
  }
  const names = (await readdir(dir)).filter((name) => !name.startsWith('.') && /\.(ya?ml|json)$/.test(name)).sort();
  for (const name of names) {
    const file = path.join(dir, name);
    let stats: Stats;
    try {
      stats = await stat(file);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw error;
    }
    const unsafe = !stats.isFile() ? 'not a regular file' : stats.size > PARSE_LIMITS.maxBytes ? `file is too large: ${stats.size} bytes (the limit is 1 MiB)` : unsafeConfigPath(stats, kind, false);
    if (unsafe !== undefined) {
      problems.push({ kind, file, reason: unsafe });
      continue;
    }
    const result = parseConfigObjectFile(await readFile(file), file, kind);
    if (!result.ok) {
      problems.push({ kind, file, reason: result.errors.map((diagnostic) => formatDiagnostic(diagnostic, { showSeverity: false })).join('; ') });
      continue;
    }
    for (const object of result.objects) {
      if (objects.some((other) => other.kind === object.kind && other.namespace === object.namespace && other.name === object.name)) {
        problems.push({ kind, file, reason: `${kind} "${object.name}" is defined in an earlier file too; the first one (by file name) is used` });
        continue;
      }
      objects.push(object);
    }
  }
}

/** Reads both directories (missing ones are empty). Errors that are not about the files are thrown. */
export async function readSharedConfigObjects(configDir: string): Promise<SharedConfigObjects> {
  await loadYaml(); // the parsers are synchronous: load the fast copy of the YAML library first
  const objects: ConfigObject[] = [];
  const problems: ConfigFileProblem[] = [];
  await readKindDir(configDir, 'ConfigMap', objects, problems);
  await readKindDir(configDir, 'Secret', objects, problems);
  return sharedConfigObjects(objects, problems);
}

export function sharedConfigObjects(objects: readonly ConfigObject[], problems: readonly ConfigFileProblem[] = []): SharedConfigObjects {
  return {
    objects,
    problems,
    find: (kind, namespace, name) => objects.find((object) => object.kind === kind && object.namespace === namespace && object.name === name),
    refused: (kind) => problems.filter((problem) => problem.kind === kind).map((problem) => `${problem.file}: ${problem.reason}`),
  };
}
