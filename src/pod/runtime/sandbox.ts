/**
 * @module pod/runtime/sandbox — `pod up` and `pod down`: a prepared pod's sandbox (network,
 * IPC and UTS namespaces bound to files, `/etc/hosts` and `resolv.conf`, volumes), without its
 * apps. Used by the sandbox unit of a pod under systemd (DESIGN.md §3) and by the standalone
 * supervisor (supervise.ts).
 *
 * Liveness (see src/pod/store/README.md): under systemd, {@link podUp} leaves `sleep infinity`
 * holding the pod lock as fd 3 in the sandbox unit's cgroup and exits; the pod is `running`
 * exactly while the sandbox unit is active. Standalone, the supervisor keeps the lock itself.
 * `<pod>/supervisor` records which of the two the pod has (`unit` / `standalone`), for `stop`.
 *
 * Crash safety: every step is idempotent. `pod up` accepts a pod that is still `prepared`, or
 * one in `run/` whose lock nobody holds (an earlier `pod up` died half-way) and finishes its
 * set-up; a pod whose lock is held is already up (nothing to do). A failing `pod up` releases
 * what it made and marks the pod exited. `pod down` releases everything recorded and can run
 * any number of times. The pod network (bridge, subnet, lease dir) is recorded in the pod before
 * any of it is made (net-record.ts): teardown uses the record, not today's config.yaml.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Hostname, PodNetwork, PortForward } from '../../net/index.js';
import { createPodNetwork, defaultPodHostname, parseIpAddress, parsePodHostname, parsePodId, parsePortForward } from '../../net/index.js';
import type { VolumeSpec } from '../../podfile/index.js';
import { errnoCode, failedPrecondition, hasErrorCode, notFound, readTextIfExists, writeFileAtomic } from '../../util/index.js';
import { acquirePodLock } from '../store/acquire.js';
import type { PodStore } from '../store/layout.js';
import { startDetachedLockHolder } from '../store/handoff.js';
import type { PodNetworkInfo } from '../store/net-info.js';
import { writeNetInfo, writeNetnsPath } from '../store/net-info.js';
import { readPodPid, writePodPid } from '../store/pod-files.js';
import { locatePod } from '../store/locate.js';
import { LockedPod, lockPreparedPod, markExited } from '../store/transitions.js';
import type { PodUuid } from '../store/uuid.js';
import type { PrepareVolumeOptions } from '../stage1/volumes.js';
import { prepareVolume } from '../stage1/volumes.js';
import type { RuntimeContext } from './context.js';
import { recordPodNetwork } from './net-record.js';
import type { PlannedFilesVolume, PlannedVolume, PodPlan } from './plan.js';
import type { PodSecrets } from './pod-secrets.js';
import { readPodSecrets } from './pod-secrets.js';
import type { VolumeFileContent } from '../stage1/file-volumes.js';
import { prepareFilesVolume } from '../stage1/file-volumes.js';
import { crunOf, loadPlan, nsFiles, storeOf, usableTreeRootfs } from './pod-ref.js';
import { releasePodResources } from './release.js';
import { ensurePodNamespaces, writePodEtcFiles } from './sandbox-files.js';

/** `<pod>/supervisor`: who keeps the pod's lock. */
export const SUPERVISOR_FILE = 'supervisor';
export type SupervisorKind = 'unit' | 'standalone';

/** What {@link setUpSandbox} made. */
export interface Sandbox {
  readonly hostname: Hostname;
  readonly network: PodNetwork;
}

/** The host ports the plan forwards (apps' ports with a hostPort). */
export function plannedPortForwards(plan: PodPlan): PortForward[] {
  return plan.apps.flatMap((app) =>
    app.ports
      .filter((port) => port.hostPort !== undefined)
      .map((port) =>
        parsePortForward({ protocol: port.protocol.toLowerCase(), hostIP: port.hostIp, hostPort: port.hostPort ?? 0, podPort: port.containerPort }),
      ),
  );
}

function volumeSpecOf(volume: Exclude<PlannedVolume, { kind: 'files' }>): VolumeSpec {
  const source: VolumeSpec['source'] =
    volume.kind === 'host'
      // DirectoryOrCreate / FileOrCreate survive into pod up, which creates a missing source.
      ? ({ kind: 'hostPath', path: volume.source, type: volume.create === 'Directory' ? 'DirectoryOrCreate' : volume.create === 'File' ? 'FileOrCreate' : '', recursive: volume.recursive } as VolumeSpec['source'])
      : {
          kind: 'emptyDir',
          medium: volume.medium,
          mode: volume.mode,
          uid: volume.uid,
          gid: volume.gid,
          ...(volume.sizeLimitBytes === undefined ? {} : { sizeLimitBytes: volume.sizeLimitBytes }),
        };
  return { name: volume.name, source } as VolumeSpec;
}

/** The bytes of a files volume's files: from the plan, or (a Secret's) from the pod's secrets file. */
function filesOf(volume: PlannedFilesVolume, secrets: PodSecrets | undefined): VolumeFileContent[] {
  const stored = volume.secret ? secrets?.volumes[volume.name] ?? {} : {};
  return volume.files.map((file) => {
    const data = volume.secret ? stored[file.path] : file.data;
    if (data === undefined) throw failedPrecondition('ERR_POD_SECRETS_INVALID', `volume "${volume.name}": no content for "${file.path}" (the pod's secrets file is missing or incomplete)`);
    return { path: file.path, mode: file.mode, data: Buffer.from(data, 'base64') };
  });
}

/** A prefilled volume's source: the image trees of the app it is filled from (plan.ts `prefillFrom`). */
async function volumeOptionsOf(ctx: RuntimeContext, plan: PodPlan, volume: Exclude<PlannedVolume, { kind: 'files' }>): Promise<PrepareVolumeOptions> {
  const from = volume.kind === 'empty' ? volume.prefillFrom : undefined;
  if (from === undefined) return {};
  const app = plan.apps.find((candidate) => candidate.name === from.app);
  if (app === undefined) throw failedPrecondition('ERR_POD_PLAN_INVALID', `volume "${volume.name}" is to be filled from app "${from.app}", which the pod does not have`);
  return { prefill: { lowerDirs: await usableTreeRootfs(ctx, app.image.trees), path: from.path } };
}

function netInfoOf(network: PodNetwork): PodNetworkInfo[] {
  switch (network.mode) {
    case 'default':
      return [{ netName: 'default', ifName: network.podInterface, ip: network.ip, prefixLength: network.prefixLength, gateway: network.gateway }];
    case 'none':
      return [{ netName: 'none' }];
    case 'host':
      return [{ netName: 'host' }];
  }
}

/** The pod's hostname: the plan's, else `rocklet-<uuid>`. */
export function podHostname(plan: PodPlan, uuid: string): Hostname {
  return plan.hostname === undefined ? defaultPodHostname(uuid) : parsePodHostname(plan.hostname);
}

/** The network mode a plan runs with (fly always shares the host's). */
export function networkModeOf(plan: PodPlan): PodPlan['net'] {
  return plan.stage1 === 'fly' ? 'host' : plan.net;
}

/** Sets up everything of the pod but its apps (idempotent). The caller holds the pod lock. */
export async function setUpSandbox(ctx: RuntimeContext, uuid: PodUuid, podDir: string, plan: PodPlan): Promise<Sandbox> {
  const ns = ctx.mountNamespace;
  const hostname = podHostname(plan, uuid);
  const podId = parsePodId(uuid);
  const config = await ctx.loadNetwork();
  await recordPodNetwork(ctx, podDir, podId, config);
  // The network and the IPC/UTS namespaces are independent: make them at the same time. Both
  // are settled before anything is thrown, so the caller's release finds all that was made.
  const [networkMade, namespacesMade] = await Promise.allSettled([
    createPodNetwork(config, ctx.hostNetns, podId, {
      mode: networkModeOf(plan),
      ports: plannedPortForwards(plan),
      signal: ctx.signal,
    }),
    plan.stage1 === 'crun' ? ensurePodNamespaces(ns, nsFiles(ctx, uuid), hostname) : Promise.resolve(),
  ]);
  if (networkMade.status === 'rejected') throw networkMade.reason;
  if (namespacesMade.status === 'rejected') throw namespacesMade.reason;
  const network = networkMade.value;
  if (network.mode !== 'host') await writeNetnsPath(podDir, network.netnsPath);
  await writeNetInfo(podDir, netInfoOf(network));
  await writePodEtcFiles(ns, podDir, plan, hostname, network.mode === 'default' ? parseIpAddress(network.ip) : undefined);
  const secrets = plan.volumes.some((volume) => volume.kind === 'files' && volume.secret) ? await readPodSecrets(ctx, uuid) : undefined;
  for (const volume of plan.volumes) {
    if (volume.kind === 'files') await prepareFilesVolume(ns, podDir, volume.name, filesOf(volume, secrets));
    else await prepareVolume(ns, podDir, volumeSpecOf(volume), await volumeOptionsOf(ctx, plan, volume));
  }
  return { hostname, network };
}

/** Takes the lock of a pod to bring it up; undefined when its lock is held (it is up already). */
async function lockForUp(ctx: RuntimeContext, uuid: PodUuid): Promise<LockedPod | undefined> {
  const store = storeOf(ctx);
  const at = await locatePod(store, uuid, ['prepared', 'run']);
  if (at?.dir !== 'run') return lockPreparedPod(store, uuid);
  const acquired = await acquirePodLock(at.path, 'hold');
  if (acquired.status === 'busy') return undefined;
  if (acquired.status !== 'locked') return lockPreparedPod(store, uuid); // gone meanwhile: its error says where it is
  return new LockedPod(store, uuid, 'run', acquired.lock);
}

/** Releases what a failed start made and marks the pod exited; rethrows `error`. */
export async function abortStart(ctx: RuntimeContext, pod: LockedPod, error: unknown): Promise<never> {
  try {
    await releasePodResources(ctx, pod.path, pod.uuid);
  } finally {
    await pod.release();
    await markExited(storeOf(ctx), pod.uuid);
  }
  throw error;
}

/** Records who keeps the pod's lock. */
export async function writeSupervisor(podDir: string, kind: SupervisorKind): Promise<void> {
  // Only read while the pod runs (stop, pod down), and written at every start: no fsync.
  await writeFileAtomic(path.join(podDir, SUPERVISOR_FILE), `${kind}\n`, { mode: 0o644, durable: false });
}

/** Who keeps the pod's lock (undefined for pods started by something else). */
export async function readSupervisor(podDir: string): Promise<SupervisorKind | undefined> {
  const text = (await readTextIfExists(path.join(podDir, SUPERVISOR_FILE)))?.trim();
  return text === 'unit' || text === 'standalone' ? text : undefined;
}

/** The result of {@link podUp}. */
export interface PodUpResult {
  readonly uuid: PodUuid;
  readonly podDir: string;
  /** False when the pod was up already and nothing was done. */
  readonly started: boolean;
  /** PID of the lock holder left behind. */
  readonly holderPid?: number;
}

/**
 * `rocklet pod up UUID` (the sandbox unit's ExecStart): brings a prepared pod's sandbox up and
 * leaves `sleep infinity` holding its lock. crun missing is reported before the pod is touched.
 */
export async function podUp(ctx: RuntimeContext, uuid: PodUuid): Promise<PodUpResult> {
  const store = storeOf(ctx);
  const at = await locatePod(store, uuid, ['prepared', 'run']);
  if (at !== undefined && (await loadPlan(ctx, at.path)).stage1 === 'crun') await crunOf(ctx).locate();
  const pod = await lockForUp(ctx, uuid);
  if (pod === undefined) {
    const running = await locatePod(store, uuid, ['run']);
    return { uuid, podDir: running?.path ?? '', started: false };
  }
  try {
    const plan = await loadPlan(ctx, pod.path);
    await setUpSandbox(ctx, uuid, pod.path, plan);
    await writeSupervisor(pod.path, 'unit');
    // Its own session, so nothing aimed at `pod up`'s process group reaches it; it stays in the
    // unit's cgroup, and stopping the unit kills it.
    const holderPid = await startDetachedLockHolder(pod, 'sleep', ['infinity']);
    await writePodPid(pod.path, holderPid);
    return { uuid, podDir: pod.path, started: true, holderPid };
  } catch (error) {
    return abortStart(ctx, pod, error);
  }
}

/** The result of {@link podDown}. */
export interface PodDownResult {
  readonly podDir: string;
  readonly released: readonly string[];
}

// How long pod down waits for a killed lock holder to let go of the lock.
const HOLDER_EXIT_WAIT_MS = 5_000;
const HOLDER_POLL_MS = 10;

/** True when `pid` is a `sleep infinity` (our lock holder), not a reused PID. */
async function isLockHolder(pid: number): Promise<boolean> {
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return path.basename(argv[0] ?? '') === 'sleep' && argv[1] === 'infinity';
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ESRCH') return false;
    throw error;
  }
}

/**
 * `rocklet pod down UUID` (the sandbox unit's ExecStopPost, or ExecStop): stops what is left of
 * the apps, releases everything (release.ts) and marks the pod exited. A unit pod's lock holder
 * still alive (ExecStop) is killed first. Idempotent.
 */
export async function podDown(ctx: RuntimeContext, uuid: PodUuid): Promise<PodDownResult> {
  const store = storeOf(ctx);
  const at = await locatePod(store, uuid, ['run', 'exited-garbage', 'garbage']);
  if (at === undefined) {
    if ((await locatePod(store, uuid)) === undefined) throw notFound('ERR_POD_NOT_FOUND', `no matches found for "${uuid}"`);
    throw failedPrecondition('ERR_POD_NOT_RUNNING', `pod "${uuid}" has not run`);
  }
  const released = await releasePodResources(ctx, at.path, uuid);
  if (at.dir === 'run') {
    try {
      await markExited(store, uuid);
    } catch (error) {
      if (!hasErrorCode(error, 'ERR_POD_RUNNING') || (await readSupervisor(at.path)) !== 'unit') throw error;
      await killHolder(at.path);
      await markExitedWhenFree(store, uuid);
    }
  }
  return { podDir: (await locatePod(store, uuid))?.path ?? at.path, released };
}

/** markExited, retried while the killed holder's lock is still held (its exit is not instant). */
async function markExitedWhenFree(store: PodStore, uuid: PodUuid): Promise<void> {
  for (let waited = 0; ; waited += HOLDER_POLL_MS) {
    try {
      await markExited(store, uuid);
      return;
    } catch (error) {
      if (!hasErrorCode(error, 'ERR_POD_RUNNING') || waited >= HOLDER_EXIT_WAIT_MS) throw error;
    }
    await sleep(HOLDER_POLL_MS);
  }
}

async function killHolder(podDir: string): Promise<void> {
  const recorded = await readPodPid(podDir);
  if (recorded === undefined || !(await isLockHolder(recorded.pid))) return;
  process.kill(recorded.pid, 'SIGKILL');
  for (let waited = 0; waited < HOLDER_EXIT_WAIT_MS && (await isLockHolder(recorded.pid)); waited += HOLDER_POLL_MS) {
    await sleep(HOLDER_POLL_MS);
  }
}
