/**
 * @module pod/store/app-exits — per-app exit status files, `status/<app>` in the pod directory.
 *
 * Each holds the app's exit code in decimal (a process killed by signal N is recorded as
 * 128+N, as crun and shells report it); the file's mtime is when the app finished. They live
 * in a subdirectory so that writing them never changes the pod directory's own ctime, which
 * gc reads as the time the pod was marked. Writing does not need the pod lock: under systemd
 * the lock belongs to the pod's resident process while `rocklet app cleanup` records the code.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ACName } from '../../image/index.js';
import { errnoCode, writeFileAtomic } from '../../util/index.js';
import { POD_DIR_MODE, POD_FILES } from './layout.js';
import { corrupt, isAppName, mtimeOf, readOptional } from './pod-files.js';

/** One app's recorded exit (`status` prints `app-<name>=<code>`). */
export interface AppExit {
  readonly name: ACName;
  /** 0–255. */
  readonly code: number;
  readonly finished: Date;
}

/** Largest exit code a process can report. */
const MAX_EXIT_CODE = 255;

/**
 * Where `app`'s exit is recorded. Daemon pods' app units write it with `sh` builtins
 * (unit-scripts' `recordExit`), in place, so a reader can find it empty for a moment.
 */
export function appExitFile(podDir: string, app: string): string {
  return path.join(podDir, POD_FILES.status, app);
}

/** Makes the directory of the pod's exit records (the units' `sh` cannot). */
export async function ensureAppExitsDir(podDir: string): Promise<void> {
  await mkdir(path.join(podDir, POD_FILES.status), { recursive: true, mode: POD_DIR_MODE });
}

/** Record that `app` exited with `code` (replaces an earlier record, e.g. of a restarted app). */
export async function recordAppExit(podDir: string, app: ACName, code: number): Promise<void> {
  if (!isAppName(app)) throw new Error(`recordAppExit: not an AC name: ${String(app)}`);
  if (!Number.isInteger(code) || code < 0 || code > MAX_EXIT_CODE) throw new Error(`recordAppExit: not an exit code: ${code}`);
  await ensureAppExitsDir(podDir);
  await writeFileAtomic(appExitFile(podDir, app), `${code}\n`, { mode: 0o644 });
}

/** The recorded exit of `app`, or undefined when none was recorded (or its record is being written). */
export async function readAppExit(podDir: string, app: ACName): Promise<AppExit | undefined> {
  const file = appExitFile(podDir, app);
  const [text, finished] = await Promise.all([readOptional(file), mtimeOf(file)]);
  if (text === undefined || finished === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const code = Number(trimmed);
  if (!/^\d{1,3}$/.test(trimmed) || code > MAX_EXIT_CODE) return corrupt(file, `"${trimmed}" is not an exit code`);
  return { name: app, code, finished };
}

/**
 * Every recorded exit, in `order` (app names from the metadata) first, then any other recorded
 * app by name. Apps without a record are left out (rkt skipped them too).
 */
export async function readAppExits(podDir: string, order: readonly ACName[] = []): Promise<AppExit[]> {
  let names: string[];
  try {
    names = await readdir(path.join(podDir, POD_FILES.status));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const recorded = names.filter(isAppName);
  const ordered = [...order.filter((name) => recorded.includes(name)), ...recorded.filter((name) => !order.includes(name)).sort()];
  const exits: AppExit[] = [];
  for (const name of ordered) {
    const exit = await readAppExit(podDir, name);
    if (exit !== undefined) exits.push(exit);
  }
  return exits;
}
