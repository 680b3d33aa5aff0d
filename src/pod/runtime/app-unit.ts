/**
 * @module pod/runtime/app-unit — one app of a running pod: `app prepare` (a fresh overlay rootfs
 * and OCI bundle joined to the pod's namespaces, hosts/resolv and volumes; an app unit's
 * ExecStartPre) and `app cleanup` (record the exit status, delete the crun container, unmount
 * the overlay; its ExecStopPost). The standalone supervisor uses the same two functions.
 *
 * The upper dir stays after cleanup (what the app wrote, for `export`); the next prepare starts
 * from the image again, as a restarted Kubernetes container does.
 */
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { networkInterfaces, constants as osConstants } from 'node:os';
import type { ACName } from '../../image/index.js';
import { errnoCode, failedPrecondition } from '../../util/index.js';
import { recordAppExit } from '../store/app-exits.js';
import { readNetInfo, readNetnsPath } from '../store/net-info.js';
import type { PodUuid } from '../store/uuid.js';
import type { NamespaceChoice, Stage1Namespaces, Stage1Resources } from '../stage1/app.js';
import { nsPath } from '../stage1/mount-namespace.js';
import type { PodFileMount, PreparedApp } from '../stage1/prepare-app.js';
import { prepareApp } from '../stage1/prepare-app.js';
import { cpuQuota } from '../stage1/oci-config.js';
import { appDirs, unmountAppRootfs } from '../stage1/rootfs.js';
import type { VolumeMountRequest } from '../stage1/volumes.js';
import { subPathPinDir, unpinSubPaths } from '../stage1/subpath-pin.js';
import { subPathVolume, volumeDir } from '../stage1/volumes.js';
import type { PodSecrets } from './pod-secrets.js';
import { readPodSecrets } from './pod-secrets.js';
import type { RuntimeContext } from './context.js';
import type { PlannedApp, PodPlan } from './plan.js';
import { EXEC_FILES, containerId, crunOf, findPod, nsFiles, planApp, usableTreeRootfs } from './pod-ref.js';
import { networkModeOf, podHostname } from './sandbox.js';
import { APP_PREPARE_FAILED_MARKER } from './unit-scripts.js';

/** Options of {@link appPrepare}. */
export interface AppPrepareOptions {
  /** cgroup limits for crun (standalone runs with a cgroup manager only). */
  readonly resources?: Stage1Resources;
  readonly terminal?: boolean;
  /**
   * Write the app's oomScoreAdj into config.json for crun to apply (standalone runs, after
   * {@link applicableOomScoreAdj}). Default false: an app unit carries OOMScoreAdjust= instead.
   */
  readonly oomScoreAdjInSpec?: boolean;
}

/** The result of {@link appPrepare}. */
export interface AppPrepared {
  readonly uuid: PodUuid;
  readonly podDir: string;
  readonly containerId: string;
  readonly prepared: PreparedApp;
}

async function volumeMounts(ctx: RuntimeContext, podDir: string, plan: PodPlan, app: PlannedApp): Promise<VolumeMountRequest[]> {
  const requests = await wholeVolumeMounts(podDir, plan, app);
  // The last start's pins go first: each start binds what its subPaths lead to now.
  await unpinSubPaths(ctx.mountNamespace, podDir, app.name);
  return Promise.all(requests.map(async (request, index) => {
    const subPath = app.mounts[index]?.subPath;
    if (subPath === undefined) return request;
    const pin = path.join(subPathPinDir(podDir, app.name), String(index));
    return { ...request, volume: await subPathVolume(ctx.mountNamespace, request.volume, subPath, pin) };
  }));
}

/**
 * Whether a host volume's source is a directory; a missing one is created first when its
 * hostPath type says so (DirectoryOrCreate, FileOrCreate: kubelet creates it at every container
 * start, so a path removed while the pod runs comes back on a restart).
 */
async function hostSourceIsDirectory(volume: Extract<PodPlan['volumes'][number], { kind: 'host' }>): Promise<boolean> {
  try {
    return (await stat(volume.source)).isDirectory();
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  if (volume.create === 'Directory') {
    await mkdir(volume.source, { recursive: true, mode: 0o755 });
    return true;
  }
  if (volume.create === 'File') {
    await mkdir(path.dirname(volume.source), { recursive: true, mode: 0o755 });
    await (await open(volume.source, 'a', 0o644)).close();
    return false;
  }
  throw failedPrecondition('ERR_HOST_PATH_NOT_FOUND', `host volume "${volume.name}": source path ${volume.source} does not exist`, {
    hint: 'create it first, or use hostPath type DirectoryOrCreate or FileOrCreate',
  });
}

async function wholeVolumeMounts(podDir: string, plan: PodPlan, app: PlannedApp): Promise<VolumeMountRequest[]> {
  const requests: VolumeMountRequest[] = [];
  for (const mount of app.mounts) {
    const volume = plan.volumes.find((v) => v.name === mount.volume);
    if (volume === undefined) {
      throw failedPrecondition('ERR_POD_PLAN_INVALID', `app "${app.name}" mounts volume "${mount.volume}", which the pod does not have`);
    }
    if (volume.kind === 'host') {
      const isDir = await hostSourceIsDirectory(volume);
      requests.push({
        volume: { name: volume.name, source: volume.source, kind: isDir ? 'directory' : 'file', recursive: volume.recursive },
        mountPath: mount.mountPath,
        readOnly: mount.readOnly || volume.readOnly,
      });
    } else {
      requests.push({
        volume: { name: volume.name, source: volumeDir(podDir, volume.name), kind: 'directory', recursive: false },
        mountPath: mount.mountPath,
        // configMap, secret and downwardAPI volumes are always read-only, as in Kubernetes.
        readOnly: mount.readOnly || volume.kind === 'files',
      });
    }
  }
  return requests;
}

async function podFileMounts(ctx: RuntimeContext, podDir: string): Promise<PodFileMount[]> {
  const mounts: PodFileMount[] = [];
  for (const [file, destination] of [[EXEC_FILES.hosts, '/etc/hosts'], [EXEC_FILES.resolvConf, '/etc/resolv.conf']] as const) {
    const source = path.join(podDir, file);
    try {
      await stat(nsPath(ctx.mountNamespace, source));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw error;
    }
    mounts.push({ source, destination, readOnly: true });
  }
  return mounts;
}

async function namespacesOf(ctx: RuntimeContext, uuid: string, podDir: string, plan: PodPlan): Promise<Stage1Namespaces> {
  // fly: the host's network, IPC and UTS (rkt's fly flavor).
  if (plan.stage1 === 'fly') return { network: { kind: 'host' }, ipc: { kind: 'host' }, uts: { kind: 'host' } };
  const files = nsFiles(ctx, uuid);
  let network: NamespaceChoice = { kind: 'host' };
  if (networkModeOf(plan) !== 'host') {
    const netns = await readNetnsPath(podDir);
    if (netns === undefined) throw failedPrecondition('ERR_POD_NOT_UP', `pod "${uuid}" has no network namespace: run "rocklet pod up" first`);
    network = { kind: 'join', path: netns };
  }
  return {
    network,
    ipc: plan.hostIPC === true ? { kind: 'host' } : { kind: 'join', path: files.ipc },
    uts: { kind: 'join', path: files.uts },
    ...(plan.hostPID === true ? { pid: { kind: 'host' } } : {}),
  };
}

/** crun resources for a planned app (standalone runs). */
export function stage1Resources(app: PlannedApp): Stage1Resources | undefined {
  const r = app.resources;
  if (r.memoryBytes === undefined && r.cpuMillicores === undefined && r.cpuShares === undefined && r.pids === undefined) return undefined;
  return {
    ...(r.memoryBytes === undefined ? {} : { memoryBytes: r.memoryBytes }),
    ...(r.cpuMillicores === undefined ? {} : { cpu: cpuQuota(r.cpuMillicores) }),
    ...(r.cpuShares === undefined ? {} : { cpuShares: r.cpuShares }),
    ...(r.pids === undefined ? {} : { pids: r.pids }),
  };
}

/**
 * The env with `status.podIP` / `status.hostIP` filled in from the pod's network (known only
 * after `pod up`): the pod's address, and the host's address on the pod network (its gateway);
 * with the host's network, this machine's first non-internal IPv4 address for both.
 */
async function withFieldEnv(app: PlannedApp, env: PlannedApp['env'], hostPodDir: string): Promise<PlannedApp['env']> {
  const networks = await readNetInfo(hostPodDir).catch(() => []);
  const pod = networks.find((network) => network.ip !== undefined);
  const hostAddress = Object.values(networkInterfaces()).flat().find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)?.address ?? '';
  const values = { 'status.podIP': pod?.ip ?? hostAddress, 'status.hostIP': pod?.gateway ?? hostAddress };
  const late = new Map((app.fieldEnv ?? []).map((field) => [field.name, values[field.fieldPath]]));
  return env.map((pair) => (late.has(pair.name) ? { name: pair.name, value: late.get(pair.name) ?? '' } : pair));
}

/** The app's env with the values of its Secret-sourced variables filled in. */
/** The argv kept in the pod's secrets file (command/args that expand a Secret). */
function secretArgv(secrets: PodSecrets | undefined, uuid: PodUuid, app: string): readonly string[] {
  const argv = secrets?.argv[app];
  if (argv === undefined || argv.length === 0) {
    throw failedPrecondition('ERR_POD_SECRETS_INVALID', `pod "${uuid}": the secrets file has no command line for container "${app}", whose command uses a Secret`, {
      hint: 'the pod was prepared by an older rocklet or its secrets file was removed: prepare the pod again',
    });
  }
  return argv;
}

function withSecretEnv(app: PlannedApp, values: Readonly<Record<string, string>>): PlannedApp['env'] {
  const secret = new Set(app.secretEnv ?? []);
  return app.env.map((pair) => (secret.has(pair.name) && Object.hasOwn(values, pair.name) ? { name: pair.name, value: values[pair.name] ?? '' } : pair));
}

/**
 * `rocklet app prepare UUID APP`: renders app `appName` of running pod `uuid` afresh (a stale
 * crun container of the same id is deleted first, so a restarted unit can `crun run` again;
 * under the daemon an app's stop leaves its rootfs for this to replace).
 */
export async function appPrepare(ctx: RuntimeContext, uuid: PodUuid, appName: string, options: AppPrepareOptions = {}): Promise<AppPrepared> {
  const pod = await findPod(ctx, uuid, ['run']);
  const { plan, dir: podDir } = pod;
  const app = planApp(plan, uuid, appName);
  const id = containerId(uuid, app.name);
  if (plan.stage1 === 'crun') await crunOf(ctx).delete(id, { force: true });
  // A failed earlier prepare's marker; should this one fail, the unit's `sh` makes it again.
  await rm(path.join(appDirs(podDir, app.name).dir, APP_PREPARE_FAILED_MARKER), { force: true });
  const secrets = app.secretEnv === undefined && app.secretArgv !== true ? undefined : await readPodSecrets(ctx, uuid);
  const withSecrets = app.secretEnv === undefined ? app.env : withSecretEnv(app, secrets?.env[app.name] ?? {});
  const planned = app.fieldEnv === undefined ? withSecrets : await withFieldEnv(app, withSecrets, podDir);
  const env = planned.some((e) => e.name === 'AC_APP_NAME') ? planned : [...planned, { name: 'AC_APP_NAME', value: app.name }];
  const prepared = await prepareApp(ctx.mountNamespace, {
    podDir,
    app: app.name,
    image: app.image.version === undefined ? app.image.name : `${app.image.name}:${app.image.version}`,
    lowerDirs: await usableTreeRootfs(ctx, app.image.trees),
    fresh: true,
    args: app.secretArgv === true ? secretArgv(secrets, uuid, app.name) : app.args,
    env,
    cwd: app.workingDir,
    ...(app.user === undefined ? {} : { user: app.user }),
    ...(app.group === undefined ? {} : { group: app.group }),
    supplementalGroups: app.supplementalGroups,
    runAsNonRoot: app.runAsNonRoot,
    capabilities: app.capabilities,
    noNewPrivileges: app.noNewPrivileges,
    readOnlyRootfs: app.readOnlyRootfs,
    seccomp: ctx.insecure.has('seccomp') ? { kind: 'Unconfined' } : app.seccomp,
    ...(app.seccompProfile === undefined ? {} : { seccompProfile: app.seccompProfile }),
    ...(app.privileged === true ? { privileged: true } : {}),
    // Under a unit, systemd applies it (OOMScoreAdjust=) and crun inherits it: see oom-score.ts.
    ...(app.oomScoreAdj === undefined || options.oomScoreAdjInSpec !== true ? {} : { oomScoreAdj: app.oomScoreAdj }),
    volumes: await volumeMounts(ctx, podDir, plan, app),
    podFiles: await podFileMounts(ctx, podDir),
    namespaces: await namespacesOf(ctx, uuid, podDir, plan),
    ...(plan.stage1 === 'fly' ? {} : { hostname: podHostname(plan, uuid) }),
    ...(options.resources === undefined ? {} : { resources: options.resources }),
    ...(options.terminal === undefined ? (app.tty === true ? { terminal: true } : {}) : { terminal: options.terminal }),
    unmaskKernelPaths: ctx.insecure.has('paths'),
    ...(plan.sysctls === undefined ? {} : { sysctls: plan.sysctls }),
  });
  return { uuid, podDir, containerId: id, prepared };
}

/** How an app ended, as systemd tells ExecStopPost (`$EXIT_CODE`, `$EXIT_STATUS`) or as a code. */
export type AppEnd =
  | { readonly kind: 'code'; readonly code: number }
  | { readonly kind: 'systemd'; readonly exitCode: string | undefined; readonly exitStatus: string | undefined }
  | { readonly kind: 'unknown' };

/** The exit code to record for `end` (a death by signal N is 128+N); undefined when unknown. */
export function exitCodeOf(end: AppEnd): number | undefined {
  switch (end.kind) {
    case 'code':
      return end.code;
    case 'unknown':
      return undefined;
    case 'systemd': {
      const status = end.exitStatus;
      if (status === undefined || status === '') return undefined;
      if (end.exitCode === 'exited') return /^\d+$/.test(status) ? Math.min(Number(status), 255) : undefined;
      // killed / dumped: EXIT_STATUS is the signal's name without SIG (TERM, KILL …).
      const signals = osConstants.signals as Readonly<Record<string, number>>;
      const number = /^\d+$/.test(status) ? Number(status) : signals[`SIG${status}`];
      return number === undefined ? undefined : 128 + number;
    }
  }
}

/** True when `file` existed (and is now removed). */
async function removedMarker(file: string): Promise<boolean> {
  try {
    await stat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  await rm(file, { force: true });
  return true;
}

/** The result of {@link appCleanup}. */
export interface AppCleanedUp {
  readonly recorded: number | undefined;
  readonly containerDeleted: boolean;
  readonly unmounted: boolean;
}

/**
 * `rocklet app cleanup UUID APP`: records how the app ended (when known), deletes its crun
 * container and unmounts its rootfs. Works for a pod that is running or already exited.
 */
export async function appCleanup(ctx: RuntimeContext, uuid: PodUuid, appName: string, end: AppEnd): Promise<AppCleanedUp> {
  const pod = await findPod(ctx, uuid, ['run', 'exited-garbage', 'garbage']);
  const app = planApp(pod.plan, uuid, appName);
  // The status systemd passed is the failed prepare's (one ExecStart= under the daemon), not the app's.
  const prepareFailed = await removedMarker(path.join(appDirs(pod.dir, app.name).dir, APP_PREPARE_FAILED_MARKER));
  const recorded = prepareFailed ? undefined : exitCodeOf(end);
  if (recorded !== undefined) await recordAppExit(pod.dir, app.name as ACName, recorded);
  const containerDeleted = pod.plan.stage1 === 'crun' ? await crunOf(ctx).delete(containerId(uuid, app.name), { force: true }) : false;
  const unmounted = await unmountAppRootfs(ctx.mountNamespace, pod.dir, app.name);
  return { recorded, containerDeleted, unmounted };
}
