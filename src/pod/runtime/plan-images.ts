/**
 * @module pod/runtime/plan-images — `run`/`prepare IMAGE…`: the request plus the fetched
 * images → a {@link PodPlan}, with rkt's rules (rkt.md §1.3, `stage0/common.go`):
 *
 * - app name: `--name`, else the image name's last path component made an AC Name; unique.
 * - argv: `--exec X` replaces the image's whole exec with `[X]`; `-- ARGS` are appended to the
 *   result (image exec or `--exec`). An image without an app section needs `--exec`.
 * - user/group: the flags, else the image's `app.user`/`app.group` (root without an app).
 * - environment: env.ts; capabilities: the default 14, or the image's retain/remove isolator,
 *   or `--caps-retain`/`--caps-remove` (which replace the image's); `--insecure-options=
 *   capabilities` gives all, `seccomp` switches seccomp off.
 * - mounts: `--mount` targets are absolute paths or image mount-point names; a mount point no
 *   `--mount` covers takes the pod volume of its name, else an implicit empty volume
 *   `<app>-<mountpoint>` (0755, root) with rkt's warning — prefilled from the image when it is
 *   Docker-style (plan-common.ts). A read-only volume or mount point makes the mount read-only.
 * - `--port NAME`: NAME must be a port some app's image declares.
 * - host volumes must exist when the pod is prepared.
 */
import { stat } from 'node:fs/promises';
import type { ImageRecord, MountPoint } from '../../image/index.js';
import { LINUX_CAPABILITIES } from '../../image/index.js';
import type { CapabilityName } from '../../podfile/index.js';
import type { InsecureOptions } from '../../util/index.js';
import { errnoCode, invalidArgument, notFound } from '../../util/index.js';
import { parseIdentityRef } from '../stage1/identity.js';
import type { RuntimeEvent } from './context.js';
import { mergeEnvironment } from './env.js';
import type { PlannedApp, PlannedMount, PlannedPort, PlannedVolume, PodPlan } from './plan.js';
import { POD_PLAN_VERSION } from './plan.js';
import type { ResolvedImage } from './plan-common.js';
import {
  capabilitySet, checkAppNameSyntax, checkUniqueAppNames, defaultAppName, imageIdentity, imageIsolators, implicitVolume, planProtocol, plannedImage,
} from './plan-common.js';
import type { AppRequest, EnvPair, PodOptions, PortRequest, RunRequest, VolumeRequest } from './request.js';

/** Seconds between SIGTERM and SIGKILL for CLI pods (Kubernetes' default grace period). */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;

export interface ImagePlanOptions {
  /** The caller's environment, used with `--inherit-env`. */
  readonly inheritedEnv?: readonly EnvPair[];
  readonly insecure?: InsecureOptions;
  /** Warnings for the user (implicit volumes). */
  readonly onEvent?: (event: RuntimeEvent) => void;
}

type AppsSource = { readonly apps: readonly AppRequest[]; readonly volumes: readonly VolumeRequest[] };

/** Checks that every host volume's source exists (rkt failed the same way, only later). */
export async function checkHostSources(volumes: readonly PlannedVolume[]): Promise<void> {
  for (const volume of volumes) {
    if (volume.kind !== 'host') continue;
    try {
      await stat(volume.source);
    } catch (error) {
      const code = errnoCode(error);
      throw notFound('ERR_VOLUME_SOURCE_MISSING', `volume "${volume.name}": host path "${volume.source}" ${code === 'ENOENT' ? 'does not exist' : `cannot be used (${code ?? String(error)})`}`, {
        hint: 'create the directory or file first, or use kind=empty', cause: error,
      });
    }
  }
}

function plannedVolume(volume: VolumeRequest): PlannedVolume {
  if (volume.kind === 'host') return { ...volume };
  return { name: volume.name, kind: 'empty', medium: 'Disk', mode: volume.mode, uid: volume.uid, gid: volume.gid };
}

function argvOf(request: AppRequest, record: ImageRecord, appName: string): string[] {
  const app = record.manifest.app;
  if (request.exec !== undefined) return [request.exec, ...(request.args ?? [])];
  if (app === undefined || app.exec.length === 0) {
    throw invalidArgument('ERR_APP_NO_EXEC', `image "${record.name}" (app "${appName}") has no app section and --exec argument is not provided`, {
      hint: 'give the program to run with --exec=/path after the IMAGE',
    });
  }
  return [...app.exec, ...(request.args ?? [])];
}

function mountsOf(
  appName: string,
  request: AppRequest,
  record: ImageRecord,
  volumes: Map<string, { planned: PlannedVolume; readOnly: boolean }>,
  onEvent: ((event: RuntimeEvent) => void) | undefined,
): PlannedMount[] {
  const mountPoints: readonly MountPoint[] = record.manifest.app?.mountPoints ?? [];
  const mounts: PlannedMount[] = [];
  const add = (volume: string, mountPath: string, mountPoint: MountPoint | undefined): void => {
    if (mounts.some((mount) => mount.mountPath === mountPath)) {
      throw invalidArgument('ERR_MOUNT_DUPLICATE', `app "${appName}" mounts two volumes at ${mountPath}`);
    }
    const readOnly = (volumes.get(volume)?.readOnly ?? false) || (mountPoint?.readOnly ?? false);
    mounts.push({ volume, mountPath, readOnly });
  };
  for (const mount of request.mounts) {
    if (mount.target.startsWith('/')) {
      add(mount.volume, mount.target, mountPoints.find((point) => point.path === mount.target));
      continue;
    }
    const point = mountPoints.find((candidate) => candidate.name === mount.target);
    if (point === undefined) {
      const known = mountPoints.map((candidate) => candidate.name);
      throw invalidArgument('ERR_MOUNT_TARGET_UNKNOWN', `--mount target "${mount.target}" of app "${appName}" is not a mount point of image ${record.name}`, {
        hint: known.length === 0 ? 'the image declares no mount points; give an absolute path as target' : `mount points of the image: ${known.join(', ')}; or give an absolute path`,
      });
    }
    add(mount.volume, point.path, point);
  }
  for (const point of mountPoints) {
    if (mounts.some((mount) => mount.mountPath === point.path)) continue;
    if (volumes.has(point.name)) {
      add(point.name, point.path, point);
      continue;
    }
    const name = `${appName}-${point.name}`;
    if (volumes.has(name)) throw invalidArgument('ERR_VOLUME_DUPLICATE', `the implicit volume "${name}" for mount point "${point.name}" of app "${appName}" clashes with a volume of that name`);
    volumes.set(name, { planned: implicitVolume({ name, app: appName, record, point }, onEvent), readOnly: false });
    add(name, point.path, point);
  }
  return mounts;
}

function portsOf(record: ImageRecord, forwards: Map<string, PortRequest>): PlannedPort[] {
  return (record.manifest.app?.ports ?? []).map((port) => {
    const forward = forwards.get(port.name);
    forwards.delete(port.name);
    return {
      name: port.name,
      containerPort: port.port,
      protocol: planProtocol(port.protocol),
      ...(forward === undefined ? {} : { hostPort: forward.hostPort }),
      ...(forward?.hostIp === undefined ? {} : { hostIp: forward.hostIp }),
    };
  });
}

function checkForwards(options: PodOptions, images: readonly ResolvedImage[]): Map<string, PortRequest> {
  const declared = images.flatMap((image) => (image.record.manifest.app?.ports ?? []).map((port) => port.name as string));
  const forwards = new Map<string, PortRequest>();
  for (const port of options.ports) {
    if (!declared.includes(port.name)) {
      throw invalidArgument('ERR_PORT_UNKNOWN', `port name "${port.name}" is not declared by the image of any app`, {
        hint: declared.length === 0 ? 'the images declare no ports (app.ports in the image manifest)' : `declared ports: ${[...new Set(declared)].join(', ')}`,
      });
    }
    if (forwards.has(port.name)) throw invalidArgument('ERR_PORT_DUPLICATE', `--port ${port.name} is given twice`);
    const clash = [...forwards.values()].find((other) => other.hostPort === port.hostPort && (other.hostIp ?? '') === (port.hostIp ?? ''));
    if (clash !== undefined) throw invalidArgument('ERR_PORT_DUPLICATE', `--port ${port.name} and --port ${clash.name} both use host port ${port.hostPort}`);
    forwards.set(port.name, port);
  }
  return forwards;
}

function planApp(
  name: string,
  request: AppRequest,
  image: ResolvedImage,
  context: { options: PodOptions; plan: ImagePlanOptions; volumes: Map<string, { planned: PlannedVolume; readOnly: boolean }>; forwards: Map<string, PortRequest> },
): PlannedApp {
  const { record } = image;
  const app = record.manifest.app;
  const isolators = imageIsolators(record);
  const insecure = context.plan.insecure;
  const capabilities: readonly CapabilityName[] = insecure?.has('capabilities') === true
    ? ([...LINUX_CAPABILITIES].sort() as string[] as CapabilityName[])
    : request.capsRetain !== undefined || request.capsRemove !== undefined
      ? capabilitySet(request.capsRetain, request.capsRemove)
      : isolators.capabilities;
  const identity = imageIdentity(record);
  const user = parseIdentityRef(request.user ?? identity.user ?? '');
  const group = parseIdentityRef(request.group ?? identity.group ?? '');
  const memoryBytes = request.memoryBytes ?? isolators.resources.memoryBytes;
  const cpuMillicores = request.cpuMillicores ?? isolators.resources.cpuMillicores;
  const oomScoreAdj = request.oomScoreAdj ?? isolators.oomScoreAdj;
  return {
    name,
    init: false,
    image: plannedImage(image),
    args: argvOf(request, record, name),
    env: mergeEnvironment({
      inherited: context.options.inheritEnv ? (context.plan.inheritedEnv ?? []) : [],
      image: app?.environment ?? [],
      setEnvFile: context.options.setEnvFile,
      setEnv: context.options.setEnv,
      app: request.environment,
      runtime: [{ name: 'AC_APP_NAME', value: name }],
    }),
    workingDir: request.workingDir ?? app?.workingDirectory ?? '/',
    ...(user === undefined ? {} : { user }),
    ...(group === undefined ? {} : { group }),
    supplementalGroups: [...(app?.supplementaryGIDs ?? [])],
    runAsNonRoot: false,
    readOnlyRootfs: request.readOnlyRootfs,
    noNewPrivileges: isolators.noNewPrivileges,
    capabilities,
    seccomp: insecure?.has('seccomp') === true ? { kind: 'Unconfined' } : isolators.seccomp,
    ...(oomScoreAdj === undefined ? {} : { oomScoreAdj }),
    resources: {
      ...(memoryBytes === undefined ? {} : { memoryBytes }),
      ...(cpuMillicores === undefined ? {} : { cpuMillicores }),
      ...(isolators.resources.cpuShares === undefined ? {} : { cpuShares: isolators.resources.cpuShares }),
    },
    mounts: mountsOf(name, request, record, context.volumes, context.plan.onEvent),
    ports: portsOf(record, context.forwards),
    restart: 'Never',
    stopTimeoutSeconds: DEFAULT_STOP_TIMEOUT_SECONDS,
  };
}

/** The plan of a pod given as IMAGE arguments; `images[i]` is the fetched image of `apps[i]`. */
export async function planFromImages(request: RunRequest, images: readonly ResolvedImage[], options: ImagePlanOptions = {}): Promise<PodPlan> {
  if (request.source.kind !== 'images') throw new Error(`planFromImages: the request describes a ${request.source.kind}, not images`);
  const source: AppsSource = request.source;
  if (images.length !== source.apps.length) throw new Error(`planFromImages: ${images.length} images for ${source.apps.length} apps`);
  const names = source.apps.map((app, index) => app.name ?? defaultAppName(images[index]?.record.name ?? ''));
  for (const name of names) checkAppNameSyntax(name);
  checkUniqueAppNames(names, 'give the apps different names with --name=NAME after each IMAGE');
  const volumes = new Map(source.volumes.map((volume) => [volume.name, { planned: plannedVolume(volume), readOnly: volume.readOnly }]));
  await checkHostSources([...volumes.values()].map((entry) => entry.planned));
  const forwards = checkForwards(request.options, images);
  const context = { options: request.options, plan: options, volumes, forwards };
  const apps = source.apps.map((app, index) => planApp(names[index] ?? '', app, images[index] as ResolvedImage, context));
  const { options: pod } = request;
  return {
    version: POD_PLAN_VERSION,
    stage1: pod.stage1,
    apps,
    volumes: [...volumes.values()].map((entry) => entry.planned),
    net: pod.net,
    dns: pod.dns,
    hosts: pod.hosts,
    hostAliases: [],
    ...(pod.hostname === undefined ? {} : { hostname: pod.hostname }),
    annotations: {},
  };
}
