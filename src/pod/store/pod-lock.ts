/**
 * @module pod/store/pod-lock — the pod lock, which must be holdable by processes that are not
 * rocklet's.
 *
 * Liveness is an exclusive open-file-description (OFD) lock on `<pod>/lock`, the same kernel
 * locks as util/lock.ts. An OFD lock belongs to the open file description, not to a process:
 * every descriptor that refers to the description (dup(2), fork(2), or an fd passed to a child
 * at spawn) shares it, and the kernel drops it only when the last of those descriptors closes.
 * So the lock can be handed on: rocklet takes it, passes the descriptor to a child (Node's
 * spawn `stdio[3] = fd` dup2s it to fd 3 of the child without close-on-exec, e.g. for
 * `crun run --preserve-fds=1`, or to a tiny resident holder), then {@link PodLock.detach}es
 * its own descriptor. The pod is `running` for exactly as long as some process still has the
 * descriptor open; SIGKILL of the last holder makes it `exited` with nothing written.
 *
 * Never {@link PodLock.release} a lock that was handed on: unlocking (F_UNLCK) acts on the
 * shared description and would drop the lock for the children too.
 *
 * Two bytes of the file are locked, so a reader can tell a pod's resident holder from a
 * process that is changing the pod's state (rkt could not, and showed an exited pod that gc was
 * moving as `running`):
 *
 * - byte 0, the *live* byte: held by the pod's holder (`preparing`, `running`), and by anyone
 *   changing the pod, to be sure no holder exists;
 * - byte 1, the *change* byte: held by gc and rm while they move or delete a pod (taken before
 *   byte 0, so changers also exclude each other).
 *
 * A probe tests byte 0, then byte 1 (shared, non-blocking, dropped at once). Changers always
 * rename or delete the pod directory before they unlock, so a probe whose directory is still in
 * place afterwards (probe.ts checks) saw a consistent picture.
 *
 * util/lock.ts is not used directly because its `FileLock` neither exposes the descriptor nor
 * can close it without unlocking, and its open creates missing files (a probe must not
 * re-create a lock file inside a pod directory that gc is deleting).
 */
import { constants as fsConstants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { errnoCode, ofdTryLock, ofdUnlock } from '../../util/index.js';
import type { LockStatus } from './states.js';

const LIVE_BYTE = { offset: 0, length: 1 };
const CHANGE_BYTE = { offset: 1, length: 1 };

/** Why a lock is taken: to be the pod's holder, or to change (move, delete) a pod that has none. */
export type LockPurpose = 'hold' | 'change';

/** An exclusive pod lock held through one descriptor of this process. */
export interface PodLock {
  /** The lock file's path when the lock was taken (the pod may have moved since). */
  readonly path: string;
  /** The descriptor, to pass to a child process (see the module doc). Invalid after release/detach. */
  readonly fd: number;
  /** Unlock and close: the lock is gone for everyone sharing the description. Idempotent. */
  release(): Promise<void>;
  /** Close only this process's descriptor; children that inherited it keep holding the lock. Idempotent. */
  detach(): Promise<void>;
}

function heldLock(file: string, handle: FileHandle): PodLock {
  let open = true;
  return {
    path: file,
    fd: handle.fd,
    async release(): Promise<void> {
      if (!open) return;
      open = false;
      try {
        ofdUnlock(handle.fd);
      } finally {
        await handle.close();
      }
    },
    async detach(): Promise<void> {
      if (!open) return;
      open = false;
      await handle.close();
    },
  };
}

/**
 * Try to take the pod lock on `file` for `purpose` without waiting. Resolves to the lock, or
 * undefined when someone holds a conflicting lock. With `create: false` a missing file rejects
 * with ENOENT.
 */
export async function tryLockPod(
  file: string,
  options: { readonly create: boolean; readonly purpose: LockPurpose },
): Promise<PodLock | undefined> {
  const flags = fsConstants.O_RDWR | (options.create ? fsConstants.O_CREAT : 0);
  // Readable by all who may list pods: a probe needs only a read-only descriptor.
  const handle = await open(file, flags, 0o644);
  let granted = false;
  try {
    granted =
      (options.purpose === 'hold' || ofdTryLock(handle.fd, 'exclusive', CHANGE_BYTE)) && ofdTryLock(handle.fd, 'exclusive', LIVE_BYTE);
  } finally {
    // Closing drops whatever part was granted.
    if (!granted) await handle.close();
  }
  return granted ? heldLock(file, handle) : undefined;
}

/**
 * Find out who holds the lock on `file`: nobody (`free`), the pod's holder (`held`) or a
 * process changing the pod (`changing`); `missing` when there is no such file. Never creates
 * the file, and blocks nobody for longer than the probe: shared locks, dropped at once, so
 * concurrent probes never see each other.
 */
export async function probePodLock(file: string): Promise<LockStatus> {
  let handle: FileHandle;
  try {
    handle = await open(file, fsConstants.O_RDONLY);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return 'missing';
    throw error;
  }
  try {
    if (ofdTryLock(handle.fd, 'shared', LIVE_BYTE)) return 'free';
    return ofdTryLock(handle.fd, 'shared', CHANGE_BYTE) ? 'held' : 'changing';
  } finally {
    await handle.close();
  }
}
