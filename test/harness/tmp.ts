/**
 * @module harness/tmp — temp dirs owned by the test runner.
 *
 * Made under /tmp/rocklet-test/tmp as `rltest-<runnerpid>-<label>-XXXXXX` (mode 0700), so the
 * sweep can remove those of dead runners. A helper that runs a long-lived process with its
 * state in such a dir records the process in `<dir>/harness-process.json`; the sweep kills it
 * (by recorded identity) before removing the dir.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_ROOT, tempDirPrefix } from './names.js';
import type { ProcessIdentity } from './proc.js';
import { errnoCode, signalIdentity, waitForExit } from './proc.js';

/** A temp dir and the way to remove it. */
export interface TempDir {
  readonly path: string;
  /** Removes the dir and everything in it. Idempotent. */
  remove(): Promise<void>;
}

/** Creates `/tmp/rocklet-test/tmp/rltest-<pid>-<prefix>-XXXXXX`; prefix is [A-Za-z0-9_.-]+. */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  await mkdir(TEMP_ROOT, { recursive: true, mode: 0o755 });
  const path = await mkdtemp(tempDirPrefix(prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

const PROCESS_FILE = 'harness-process.json';

/** Records the process that keeps state in `dir`, for the sweep. */
export async function recordProcess(dir: string, id: ProcessIdentity): Promise<void> {
  await writeFile(join(dir, PROCESS_FILE), `${JSON.stringify(id)}\n`);
}

/** SIGKILLs the process recorded in `dir` if it is still that process; no-op without a record. */
export async function killRecordedProcess(dir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dir, PROCESS_FILE), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  const id = JSON.parse(text) as ProcessIdentity;
  if (await signalIdentity(id, 'SIGKILL')) await waitForExit(id, 5_000);
}
