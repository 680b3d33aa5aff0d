/**
 * @module pod/store/transitions — the state changes the runtime makes, each one rename(2) of the
 * pod directory (then fsync of both parents) done while holding the pod's lock:
 *
 * - {@link createPod}: `mkdir embryo/<uuid>`, lock, `pod-created`, rename → `prepare/` (preparing).
 * - {@link markPrepared}: `prepare/` → `prepared/`, then unlock (`rocklet prepare`).
 * - {@link markRunning}: `prepare/` → `run/`, lock kept (`rocklet run`, `pod up`).
 * - {@link lockPreparedPod}: lock first, then `prepared/` → `run/` (`run-prepared`: no unlocked
 *   instant in `run/`, which would read as `exited`).
 * - {@link markExited}: an exited pod `run/` → `exited-garbage/` (gc's mark, for one pod).
 *
 * A crash between any two steps leaves a state gc understands: an embryo, an aborted prepare
 * (lock gone with the process), or a prepared/exited pod whose lock the kernel dropped.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { conflict, failedPrecondition, fsyncDir } from '../../util/index.js';
import { acquirePodLock } from './acquire.js';
import type { PodStore, StateDir } from './layout.js';
import { POD_DIR_MODE, POD_FILES, ensureStateDirs, movePod, podPath } from './layout.js';
import { locatePod } from './locate.js';
import { writeCreatedMarker } from './pod-files.js';
import type { PodLock } from './pod-lock.js';
import { tryLockPod } from './pod-lock.js';
import { describeState, podStateAt } from './probe.js';
import type { PodUuid } from './uuid.js';
import { newPodUuid } from './uuid.js';

/** A pod whose lock this process holds; it follows the pod directory through renames. */
export class LockedPod {
  readonly uuid: PodUuid;
  readonly lock: PodLock;
  readonly #store: PodStore;
  #dir: StateDir;

  constructor(store: PodStore, uuid: PodUuid, dir: StateDir, lock: PodLock) {
    this.#store = store;
    this.uuid = uuid;
    this.#dir = dir;
    this.lock = lock;
  }

  /** The state directory the pod is in now. */
  get dir(): StateDir {
    return this.#dir;
  }

  /** The pod directory's current path. */
  get path(): string {
    return podPath(this.#store, this.#dir, this.uuid);
  }

  /** Move the pod directory to `to` (durably) and follow it. For the transitions of this layer only. */
  async moveTo(to: StateDir, options: { readonly durable?: boolean } = {}): Promise<void> {
    await movePod(this.#store, this.uuid, this.#dir, to, options);
    this.#dir = to;
  }

  /** Unlock (see {@link PodLock.release}); the handle must not be used for transitions afterwards. */
  release(): Promise<void> {
    return this.lock.release();
  }
}

function expectDir(pod: LockedPod, dir: StateDir, action: string): void {
  if (pod.dir !== dir) throw new Error(`${action}: pod ${pod.uuid} is in ${pod.dir}/, not ${dir}/`);
}

/**
 * Create a new pod: a fresh UUID, its directory and lock, in `prepare/` (state `preparing`).
 * The caller writes the manifest, then calls {@link markPrepared} or {@link markRunning}.
 */
export async function createPod(store: PodStore): Promise<LockedPod> {
  await ensureStateDirs(store);
  const uuid = newPodUuid();
  const embryo = podPath(store, 'embryo', uuid);
  // A UUID collision makes mkdir fail with EEXIST, which is as it should be: never reuse a pod.
  await mkdir(embryo, { mode: POD_DIR_MODE });
  const lock = await tryLockPod(path.join(embryo, POD_FILES.lock), { create: true, purpose: 'hold' });
  if (lock === undefined) throw new Error(`createPod: the lock of the new pod ${uuid} is held by someone else`);
  const pod = new LockedPod(store, uuid, 'embryo', lock);
  try {
    await writeCreatedMarker(embryo);
    // Nothing is synced before the pod leaves prepare/ (markPrepared, markRunning): until then
    // a crash leaves garbage whichever directory it finds the pod in.
    await pod.moveTo('prepare', { durable: false });
  } catch (error) {
    await lock.release();
    throw error;
  }
  return pod;
}

/** `prepare/` → `prepared/`, then unlock: the pod waits for `run-prepared` (or expires in gc). */
export async function markPrepared(pod: LockedPod): Promise<void> {
  expectDir(pod, 'prepare', 'markPrepared');
  // The pod's files were written without syncing their names (writeFileAtomic syncDirectory).
  await fsyncDir(pod.path);
  await pod.moveTo('prepared');
  await pod.release();
}

/** `prepare/` → `run/` keeping the lock: the pod is `running` while the lock is held. */
export async function markRunning(pod: LockedPod): Promise<void> {
  expectDir(pod, 'prepare', 'markRunning');
  await fsyncDir(pod.path);
  await pod.moveTo('run');
}

/**
 * For `run-prepared`: lock the prepared pod `uuid`, then move it to `run/`. Of several processes
 * trying at once exactly one succeeds. Throws `ERR_POD_NOT_PREPARED` (with the pod's actual
 * state) or `ERR_POD_BUSY` (another process holds its lock right now).
 */
export async function lockPreparedPod(store: PodStore, uuid: PodUuid): Promise<LockedPod> {
  const acquired = await acquirePodLock(podPath(store, 'prepared', uuid), 'hold');
  switch (acquired.status) {
    case 'locked':
      break;
    case 'busy':
      if ((await locatePod(store, uuid))?.dir === 'prepared') {
        throw conflict('ERR_POD_BUSY', `pod "${uuid}" is busy: another process holds its lock`, {
          hint: 'another run-prepared or gc is acting on it; check "rocklet status"',
        });
      }
      return notPrepared(store, uuid);
    case 'no-lock-file':
    case 'gone':
      return notPrepared(store, uuid);
  }
  const pod = new LockedPod(store, uuid, 'prepared', acquired.lock);
  try {
    await pod.moveTo('run');
  } catch (error) {
    await pod.release();
    if ((await locatePod(store, uuid))?.dir !== 'prepared') return notPrepared(store, uuid);
    throw error;
  }
  return pod;
}

async function notPrepared(store: PodStore, uuid: PodUuid): Promise<never> {
  const state = await podStateAt(store, uuid);
  throw failedPrecondition('ERR_POD_NOT_PREPARED', `pod "${uuid}" is not prepared: ${describeState(state)}`, {
    hint: 'only a prepared pod can be run with run-prepared, and only once',
  });
}

/**
 * Mark the exited pod `uuid` for gc: `run/` → `exited-garbage/` (what `gc --mark-only` does for
 * every exited pod; `pod down` uses it after the pod's processes are gone). Idempotent: a pod
 * already marked is left as it is. Throws `ERR_POD_RUNNING` while its lock is held.
 */
export async function markExited(store: PodStore, uuid: PodUuid): Promise<void> {
  const acquired = await acquirePodLock(podPath(store, 'run', uuid), 'change');
  switch (acquired.status) {
    case 'locked': {
      const pod = new LockedPod(store, uuid, 'run', acquired.lock);
      try {
        await pod.moveTo('exited-garbage');
      } finally {
        await pod.release();
      }
      return;
    }
    case 'no-lock-file':
      await movePod(store, uuid, 'run', 'exited-garbage');
      return;
    case 'busy':
      throw failedPrecondition('ERR_POD_RUNNING', `pod "${uuid}" is currently running`, {
        hint: 'stop the pod first ("rocklet stop")',
      });
    case 'gone': {
      const state = await podStateAt(store, uuid);
      if (state === 'exited garbage' || state === 'exited deleting' || state === 'garbage' || state === 'deleting') return;
      throw failedPrecondition('ERR_POD_NOT_RUNNING', `pod "${uuid}" has not run: ${describeState(state)}`);
    }
  }
}
