/**
 * @module daemon/daemon-lock — one daemon per host: an exclusive lock on
 * `<run-dir>/daemon.lock`, held for the daemon's lifetime; a second daemon is refused with the
 * first one's PID.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FileLock } from '../util/index.js';
import { conflict, tryLockFile } from '../util/index.js';
import { readStatusFile } from './status.js';

export const DAEMON_LOCK_FILE = 'daemon.lock';

/** Takes the daemon lock or explains who has it. */
export async function lockDaemon(runDir: string): Promise<FileLock> {
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  const lock = await tryLockFile(path.join(runDir, DAEMON_LOCK_FILE), 'exclusive');
  if (lock !== undefined) return lock;
  const status = await readStatusFile(runDir).catch(() => undefined);
  throw conflict('ERR_DAEMON_RUNNING', `another rocklet daemon is running${status === undefined ? '' : ` (pid ${status.daemon.pid})`}: ${path.join(runDir, DAEMON_LOCK_FILE)} is locked`, {
    hint: 'one daemon per host; stop it first ("systemctl stop rocklet"), or use "rocklet pods" to see what it runs',
  });
}
