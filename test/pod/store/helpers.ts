/**
 * @module test/pod/store/helpers — temp pod stores and child processes for the pod store tests.
 * Every child is recorded and SIGKILLed by PID in `after`, and temp dirs are removed, even
 * when a test fails.
 */
import assert from 'node:assert/strict';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { PodStore, PodUuid, StateDir } from '../../../src/pod/index.js';
import { POD_FILES, newPodUuid, podPath, podStore } from '../../../src/pod/index.js';
import { makeTempDir } from '../../harness/index.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/** A fresh pod store in a temp dir, removed after the enclosing suite. */
export async function tempStore(label = 'podstore'): Promise<{ store: PodStore; dataDir: string }> {
  const dir = await makeTempDir(label);
  after(() => dir.remove());
  return { store: podStore(dir.path), dataDir: dir.path };
}

/** A child process that prints JSON lines. */
export interface Worker {
  readonly child: ChildProcess;
  /** The next JSON line the child printed. */
  next(): Promise<Record<string, unknown>>;
  /** Send a line on the child's stdin (the "go" of a race). */
  go(): void;
  /** SIGKILL it and wait until it is gone. */
  kill(): Promise<void>;
  /** Wait until it exits on its own; resolves to its exit code. */
  exited(): Promise<number | null>;
}

/** Start `command` and track it for cleanup. */
export function startProcess(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, [...args], options);
  after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  return child;
}

/** Run test/pod/store/worker.js with `args`. */
export function startWorker(...args: string[]): Worker {
  const child = startProcess(process.execPath, [WORKER, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  assert.ok(child.stdout && child.stdin);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    async next() {
      const line = await lines.next();
      assert.equal(line.done, false, 'worker ended without printing the expected line');
      return JSON.parse(String(line.value)) as Record<string, unknown>;
    },
    go() {
      child.stdin?.write('go\n');
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
    exited: () => exit,
  };
}

/**
 * Make a pod directory by hand, as a crash at some step would leave it: in `dir`, with the
 * files named in `files` (lock file by default), its mtimes/ctime as they come.
 */
export async function fakePod(
  store: PodStore,
  dir: StateDir,
  options: { uuid?: PodUuid; lockFile?: boolean; files?: Record<string, string> } = {},
): Promise<PodUuid> {
  const uuid = options.uuid ?? newPodUuid();
  const podDir = podPath(store, dir, uuid);
  await mkdir(podDir, { recursive: true });
  if (options.lockFile !== false) await writeFile(path.join(podDir, POD_FILES.lock), '');
  for (const [name, content] of Object.entries(options.files ?? {})) {
    await mkdir(path.dirname(path.join(podDir, name)), { recursive: true });
    await writeFile(path.join(podDir, name), content);
  }
  return uuid;
}

/** Set a file's atime and mtime to `date`. */
export async function backdate(file: string, date: Date): Promise<void> {
  await utimes(file, date, date);
}

/** The UUID-named entries of a state dir (empty when it does not exist). */
export async function entriesOf(store: PodStore, dir: StateDir): Promise<string[]> {
  try {
    return (await readdir(path.join(store.podsDir, dir))).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
