/**
 * @module pod/runtime/plan-podspec — a PodSpec (`--pod-file` Kubernetes YAML or
 * `--pod-manifest` appc JSON, both through src/podfile) plus the fetched images → a
 * {@link PodPlan}, with Kubernetes semantics:
 *
 * - argv: Kubernetes' command/args rules over the image's Entrypoint and Cmd (format/oci
 *   mergeCommand); an appc image has one `exec`, whose first word plays the entrypoint.
 * - env: the image's env, then the container's in file order with `$(VAR)` expanded against
 *   the container's earlier variables (podfile's expandContainer). Downward-API values that
 *   exist only once the pod has an address (`status.podIP`, `status.hostIP`) are planned empty
 *   unless the caller knows them, and listed in `fieldEnv` for execution to fill in.
 * - user/group: the container's security context, else the image's app.user/app.group.
 * - volumes: hostPath (checked to exist unless the type creates it), emptyDir (Kubernetes'
 *   0777); image mount points nobody mounts get rkt's implicit empty volumes, prefilled from
 *   the image when it is Docker-style (plan-common.ts).
 * - `shareProcessNamespace: true` is refused (ERR_POD_UNSUPPORTED): every app has its own PID
 *   namespace, so accepting it would be a silent lie.
 * - restartPolicy, terminationGracePeriodSeconds → restart, stopTimeoutSeconds; init
 *   containers are `init: true` apps, retried unless the policy is Never.
 * - sysctls (pod securityContext, appc `os/unix/sysctl`) → the plan's `sysctls`, refused
 *   here when they would land in a host namespace (stage1 fly; `net.*` with the host network).
 *
 * Docker image references are fetched as `docker://` images (fetch/docker-fetcher.ts); an appc
 * image imported under the name {@link dockerStoreName} gives still stands in for one.
 */
import { availableParallelism, hostname as osHostname, totalmem } from 'node:os';
import type { ACIdentifier, DockerReference, Label, MountPoint } from '../../image/index.js';
import { dockerCommand, mergeCommand } from '../../image/index.js';
import type { ContainerSpec, ExpandedContainer, PodConfig, PodSpec, RuntimeFieldValues, SpecHash, VolumeSpec } from '../../podfile/index.js';
import { EMPTY_POD_CONFIG, expandContainer, expandVariables, volumeFiles } from '../../podfile/index.js';
import type { OciSeccomp } from '../stage1/oci-spec.js';
import { containerOomScoreAdj } from './oom-score.js';
import type { PodSecrets } from './pod-secrets.js';
import { emptyPodSecrets } from './pod-secrets.js';
import { invalidArgument, notFound } from '../../util/index.js';
import { parseIdentityRef } from '../stage1/identity.js';
import type { RuntimeEvent } from './context.js';
import { mergeEnvironment } from './env.js';
import type { PlannedApp, PlannedMount, PlannedPort, PlannedVolume, PodPlan } from './plan.js';
import { POD_PLAN_VERSION } from './plan.js';
import type { ResolvedImage } from './plan-common.js';
import { checkUniqueAppNames, containerResources, imageIdentity, implicitVolume, plannedImage, sysctlRefusal } from './plan-common.js';
import { checkHostSources } from './plan-images.js';
import type { DnsRequest, HostsRequest, NetRequest } from './request.js';

export interface PodSpecPlanOptions {
  /** The pod's UUID (`metadata.uid`); a placeholder when planning only to validate. */
  readonly podUuid: string;
  /** `status.podIP` / `status.hostIP` when the caller knows them already. */
  readonly podIP?: string;
  readonly hostIP?: string;
  /** Default: this machine's hostname. */
  readonly nodeName?: string;
  readonly stage1?: 'crun' | 'fly';
  /** Overrides `hostNetwork` (`run --pod-manifest --net=…`). */
  readonly net?: NetRequest;
  /** Command-line overrides of the file's hostname, DNS and /etc/hosts settings. */
  readonly hostname?: string;
  readonly dns?: DnsRequest;
  readonly hosts?: HostsRequest;
  readonly onEvent?: (event: RuntimeEvent) => void;
  /** seccomp `Localhost` profiles by name, read beforehand (seccomp-profiles.ts). */
  readonly seccompProfiles?: ReadonlyMap<string, OciSeccomp>;
  /** For kubelet's Burstable OOM score (system-cluster-critical pods); default this machine's memory. */
  readonly memoryCapacityBytes?: number;
  /** The ConfigMaps and Secrets the pod references (podfile's bindPodConfig); default none. */
  readonly config?: PodConfig;
  /** Receives the Secret values the plan leaves out (pod-secrets.ts). */
  readonly secrets?: PodSecrets;
}

/** Every container of the pod in plan order: init containers first, then the app containers. */
export function podSpecContainers(spec: PodSpec): { container: ContainerSpec; init: boolean }[] {
  return [...spec.initContainers.map((container) => ({ container, init: true })), ...spec.containers.map((container) => ({ container, init: false }))];
}

/**
 * The appc name and labels a Docker reference is looked up by in the local store (rkt's
 * docker2aci named converted images `domain/path` with the tag as `version`): Docker images
 * cannot be pulled yet, but one imported under that name can run.
 */
export function dockerStoreName(reference: DockerReference): { name: string; labels: Label[] } {
  return { name: `${reference.domain}/${reference.path}`, labels: reference.tag === undefined ? [] : [{ name: 'version' as ACIdentifier, value: reference.tag }] };
}

/**
 * The image argument the fetcher gets for a container: `docker://` + the canonical Docker
 * reference, an image ID, or `name[,label=value…]` for an appc image.
 */
export function podSpecImageReference(container: ContainerSpec): string {
  const { image } = container;
  if (image.kind === 'docker') return `docker://${image.reference.canonical}`;
  if (image.id !== undefined) return image.id;
  if (image.name === undefined) throw invalidArgument('ERR_POD_IMAGE_MISSING', `container "${container.name}" names no image`);
  return [image.name, ...Object.entries(image.labels).map(([name, value]) => `${name}=${value}`)].join(',');
}

function argvOf(container: ContainerSpec, expanded: { command?: readonly string[]; args?: readonly string[] }, image: ResolvedImage): string[] {
  // An OCI/Docker image keeps Entrypoint and Cmd apart; an appc image's exec plays both (its
  // first word the entrypoint).
  const exec = image.record.manifest.app?.exec ?? [];
  const [entrypoint, ...cmd] = exec;
  const split = dockerCommand(image.record.manifest.annotations) ?? { entrypoint: entrypoint === undefined ? [] : [entrypoint], cmd };
  const argv = mergeCommand(split, expanded);
  if (argv.length === 0) {
    throw invalidArgument('ERR_APP_NO_EXEC', `container "${container.name}": image ${image.record.name} has no exec and the pod file gives no command`, {
      hint: 'set command: [/path/to/program, ...] for the container',
    });
  }
  return argv;
}

type VolumeContext = { values: RuntimeFieldValues; config: PodConfig; secrets: PodSecrets };

/** An emptyDir of a pod with fsGroup belongs to that group, setgid (kubelet's SetVolumeOwnership). */
function plannedVolume(spec: PodSpec, volume: VolumeSpec, context: VolumeContext): PlannedVolume {
  const planned = plannedVolumeOf(spec, volume, context);
  return planned.kind === 'empty' && spec.fsGroup !== undefined ? { ...planned, gid: spec.fsGroup, mode: planned.mode | 0o2000 } : planned;
}

function plannedVolumeOf(spec: PodSpec, volume: VolumeSpec, context: VolumeContext): PlannedVolume {
  const { source } = volume;
  if (source.kind === 'object' || source.kind === 'downwardAPI' || source.kind === 'projected') {
    const files = volumeFiles(spec, volume, context.config, context.values);
    // A projected volume with any Secret in it is a secret volume as a whole (tmpfs, kept out of the plan).
    const secret = (source.kind === 'object' && source.object === 'Secret')
      || (source.kind === 'projected' && source.sources.some((s) => s.kind === 'object' && s.object === 'Secret'));
    if (secret) context.secrets.volumes[volume.name] = Object.fromEntries(files.map((file) => [file.path, file.data.toString('base64')]));
    return {
      name: volume.name, kind: 'files', secret,
      files: files.map((file) => (secret ? { path: file.path, mode: file.mode } : { path: file.path, mode: file.mode, data: file.data.toString('base64') })),
    };
  }
  if (source.kind === 'hostPath') {
    const create = source.type === 'DirectoryOrCreate' ? 'Directory' : source.type === 'FileOrCreate' ? 'File' : undefined;
    return { name: volume.name, kind: 'host', source: source.path, readOnly: false, recursive: source.recursive, ...(create === undefined ? {} : { create }) };
  }
  return {
    name: volume.name, kind: 'empty', medium: source.medium, mode: source.mode, uid: source.uid, gid: source.gid,
    ...(source.sizeLimitBytes === undefined ? {} : { sizeLimitBytes: source.sizeLimitBytes }),
  };
}

/** The mount's subPath, a subPathExpr expanded with the container's environment (Kubernetes' rule: `..` after expansion is refused). */
function subPathOf(container: ContainerSpec, mount: ContainerSpec['volumeMounts'][number], env: ExpandedContainer['env']): string | undefined {
  if (mount.subPathExpr === undefined) return mount.subPath;
  const values = new Map(env.map((e) => [e.name, e.value]));
  const expanded = expandVariables(mount.subPathExpr, (name) => values.get(name));
  if (expanded.startsWith('/') || expanded.split('/').includes('..')) {
    throw invalidArgument('ERR_SUBPATH_INVALID', `container "${container.name}": subPathExpr "${mount.subPathExpr}" expands to "${expanded}", which is not a relative path inside the volume`);
  }
  return expanded === '' ? undefined : expanded;
}

function mountsOf(
  container: ContainerSpec,
  image: ResolvedImage,
  volumes: Map<string, PlannedVolume>,
  onEvent: PodSpecPlanOptions['onEvent'],
  env: ExpandedContainer['env'],
): PlannedMount[] {
  const mounts: PlannedMount[] = container.volumeMounts.map((mount) => {
    const subPath = subPathOf(container, mount, env);
    return { volume: mount.name, mountPath: mount.mountPath, readOnly: mount.readOnly, ...(subPath === undefined ? {} : { subPath }) };
  });
  const points: readonly MountPoint[] = image.record.manifest.app?.mountPoints ?? [];
  for (const point of points) {
    if (mounts.some((mount) => mount.mountPath === point.path)) continue;
    const name = volumes.has(point.name) ? point.name : `${container.name}-${point.name}`;
    if (!volumes.has(name)) volumes.set(name, implicitVolume({ name, app: container.name, record: image.record, point }, onEvent));
    mounts.push({ volume: name, mountPath: point.path, readOnly: point.readOnly });
  }
  return mounts;
}

/**
 * The container's ports. With the host's network a hostPort (Kubernetes defaults it to the
 * containerPort there) is what the app binds itself: nothing is forwarded.
 */
function portsOf(container: ContainerSpec, net: PodPlan['net']): PlannedPort[] {
  return container.ports.map((port) => ({
    name: port.name ?? `${port.containerPort}-${port.protocol.toLowerCase()}`,
    containerPort: port.containerPort,
    protocol: port.protocol,
    ...(port.hostPort === undefined || net === 'host' ? {} : { hostPort: port.hostPort }),
    ...(port.hostIP === undefined || net === 'host' ? {} : { hostIp: port.hostIP }),
  }));
}

function dnsOf(spec: PodSpec): DnsRequest {
  const { dns } = spec;
  const options = dns.options.map((option) => (option.value === undefined ? option.name : `${option.name}:${option.value}`));
  const host = dns.policy === 'Default' && dns.nameservers.length === 0 && dns.searches.length === 0 && options.length === 0;
  return { host, servers: [...dns.nameservers], searches: [...dns.searches], options };
}

/** Names of env vars whose value needs the pod's address, which `pod up` knows only later. */
function lateFields(container: ContainerSpec, options: PodSpecPlanOptions): { name: string; fieldPath: 'status.podIP' | 'status.hostIP' }[] {
  const late: { name: string; fieldPath: 'status.podIP' | 'status.hostIP' }[] = [];
  for (const variable of container.env) {
    if (variable.kind !== 'field') continue;
    if (variable.fieldPath === 'status.podIP' && options.podIP === undefined) late.push({ name: variable.name, fieldPath: variable.fieldPath });
    if (variable.fieldPath === 'status.hostIP' && options.hostIP === undefined) late.push({ name: variable.name, fieldPath: variable.fieldPath });
  }
  return late;
}

function planContainer(
  spec: PodSpec,
  entry: { container: ContainerSpec; init: boolean },
  image: ResolvedImage,
  context: { options: PodSpecPlanOptions; values: RuntimeFieldValues; volumes: Map<string, PlannedVolume>; net: PodPlan['net']; config: PodConfig; secrets: PodSecrets },
): PlannedApp {
  const { container, init } = entry;
  const app = image.record.manifest.app;
  const expanded = expandContainer(spec, container, context.values, context.config);
  const secretEnv = expanded.env.filter((variable) => variable.secret === true);
  if (secretEnv.length > 0) context.secrets.env[container.name] = Object.fromEntries(secretEnv.map((variable) => [variable.name, variable.value]));
  if (expanded.secretArgv !== undefined) context.secrets.argv[container.name] = argvOf(container, expanded.secretArgv, image);
  const plannedEnv = expanded.env.map((variable) => (variable.secret === true ? { name: variable.name, value: '' } : { name: variable.name, value: variable.value }));
  const { security } = container;
  const identity = imageIdentity(image.record);
  const user = security.user ?? parseIdentityRef(identity.user ?? '');
  const group = security.group ?? parseIdentityRef(identity.group ?? '');
  const fieldEnv = lateFields(container, context.options);
  const oomScoreAdj = containerOomScoreAdj(spec, container, context.options.memoryCapacityBytes ?? totalmem());
  const seccompProfile = security.seccomp.kind === 'Localhost' ? context.options.seccompProfiles?.get(security.seccomp.profile) : undefined;
  if (security.seccomp.kind === 'Localhost' && seccompProfile === undefined) {
    throw invalidArgument('ERR_SECCOMP_PROFILE_NOT_LOADED', `container "${container.name}": seccomp profile "${security.seccomp.profile}" was not read`);
  }
  return {
    name: container.name,
    init,
    image: plannedImage(image),
    args: argvOf(container, expanded, image),
    env: mergeEnvironment({
      inherited: [], image: app?.environment ?? [], setEnvFile: [], setEnv: [], app: plannedEnv, runtime: [{ name: 'AC_APP_NAME', value: container.name }],
    }),
    ...(fieldEnv.length === 0 ? {} : { fieldEnv }),
    ...(secretEnv.length === 0 ? {} : { secretEnv: secretEnv.map((variable) => variable.name) }),
    ...(expanded.secretArgv === undefined ? {} : { secretArgv: true as const }),
    workingDir: container.workingDir ?? app?.workingDirectory ?? '/',
    ...(user === undefined ? {} : { user }),
    ...(group === undefined ? {} : { group }),
    supplementalGroups: [...new Set([...(app?.supplementaryGIDs ?? []), ...security.supplementalGroups])],
    runAsNonRoot: security.runAsNonRoot,
    readOnlyRootfs: security.readOnlyRootFilesystem,
    noNewPrivileges: security.noNewPrivileges,
    capabilities: [...security.capabilities],
    seccomp: security.seccomp,
    ...(seccompProfile === undefined ? {} : { seccompProfile }),
    ...(oomScoreAdj === undefined ? {} : { oomScoreAdj }),
    ...(security.privileged === true ? { privileged: true as const } : {}),
    ...(container.tty === true ? { tty: true as const } : {}),
    ...(init && container.sidecar === true ? { sidecar: true as const } : {}),
    resources: containerResources(container),
    mounts: mountsOf(container, image, context.volumes, context.options.onEvent, expanded.env),
    ports: portsOf(container, context.net),
    // A sidecar restarts whatever the pod's policy (Kubernetes' restartPolicy: Always on it).
    restart: init ? (container.sidecar === true ? 'Always' : spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure') : spec.restartPolicy,
    stopTimeoutSeconds: spec.terminationGracePeriodSeconds,
    ...(container.probes === undefined ? {} : { probes: container.probes }),
    ...(container.lifecycle === undefined ? {} : { lifecycle: container.lifecycle }),
  };
}

/**
 * The pod's sysctls (undefined when none). Throws `ERR_SYSCTL_REFUSED` for one that would change
 * the host: the podfile layer refuses `net.*` with hostNetwork, but only planning knows
 * the stage1 and a `--net=host` given on the command line.
 */
function plannedSysctls(spec: PodSpec, stage1: 'crun' | 'fly', net: NetRequest): Record<string, string> | undefined {
  if (spec.sysctls.length === 0) return undefined;
  for (const { name } of spec.sysctls) {
    const refusal = sysctlRefusal(name, stage1, net);
    if (refusal === undefined) continue;
    const hint = stage1 === 'fly'
      ? 'run the pod with --stage1=crun, or remove the sysctl from the pod file'
      : 'give the pod its own network (no hostNetwork, no --net=host), or remove the sysctl';
    throw invalidArgument('ERR_SYSCTL_REFUSED', refusal, { hint });
  }
  return Object.fromEntries(spec.sysctls.map(({ name, value }) => [name, value]));
}

/**
 * Throws `ERR_POD_UNSUPPORTED` for what podfile accepts (it is valid Kubernetes) but the runtime
 * cannot do: a shared PID namespace (crun gives each app its own, and the pod has none to join).
 */
export function checkPodSpecSupported(spec: PodSpec): void {
  if (spec.shareProcessNamespace) {
    throw invalidArgument('ERR_POD_UNSUPPORTED', `pod "${spec.name}": spec.shareProcessNamespace: true is not supported: rocklet runs each app in its own PID namespace`, {
      hint: 'remove spec.shareProcessNamespace; to reach another app\'s processes use "rocklet enter --app=APP UUID"',
    });
  }
}

/**
 * The plan of a pod file. `images[i]` is the fetched image of `podSpecContainers(spec)[i]`.
 * Throws for host paths that must exist and do not, and `ERR_POD_UNSUPPORTED` for
 * `shareProcessNamespace: true`.
 */
export async function planFromPodSpec(spec: PodSpec, hash: SpecHash, images: readonly ResolvedImage[], options: PodSpecPlanOptions): Promise<PodPlan> {
  const containers = podSpecContainers(spec);
  if (images.length !== containers.length) throw new Error(`planFromPodSpec: ${images.length} images for ${containers.length} containers`);
  checkPodSpecSupported(spec);
  checkUniqueAppNames(containers.map((entry) => entry.container.name), 'container names must be unique across initContainers and containers');
  if (options.stage1 === 'fly' && containers.length > 1) {
    throw invalidArgument('ERR_FLY_ONE_APP', `stage1 fly runs exactly one app, but the pod has ${containers.length} containers`, { hint: 'use --stage1=crun for pods of several apps' });
  }
  const stage1 = options.stage1 ?? 'crun';
  const net = options.net ?? (spec.hostNetwork ? 'host' : 'default');
  const sysctls = plannedSysctls(spec, stage1, net);
  const values: RuntimeFieldValues = {
    uid: options.podUuid, nodeName: options.nodeName ?? osHostname(), podIP: options.podIP ?? '', hostIP: options.hostIP ?? '',
    cpuMillicores: availableParallelism() * 1000, memoryBytes: totalmem(),
  };
  const config = options.config ?? EMPTY_POD_CONFIG;
  const secrets = options.secrets ?? emptyPodSecrets();
  const volumes = new Map(spec.volumes.map((volume) => [volume.name as string, plannedVolume(spec, volume, { values, config, secrets })]));
  await checkHostSources([...volumes.values()].filter((volume) => volume.kind !== 'files' && (volume.kind !== 'host' || volume.create === undefined)));
  for (const { container } of containers) {
    for (const mount of container.volumeMounts) {
      if (!volumes.has(mount.name)) throw notFound('ERR_VOLUME_UNKNOWN', `container "${container.name}" mounts volume "${mount.name}", which the pod does not define`);
    }
  }
  const context = { options, values, volumes, net, config, secrets };
  const apps = containers.map((entry, index) => planContainer(spec, entry, images[index] as ResolvedImage, context));
  return {
    version: POD_PLAN_VERSION,
    podName: spec.name,
    specHash: hash,
    stage1,
    apps,
    volumes: [...volumes.values()],
    net,
    dns: options.dns ?? dnsOf(spec),
    hosts: options.hosts ?? { host: false, entries: [] },
    hostAliases: spec.hostAliases.map((alias) => ({ ip: alias.ip, hostnames: [...alias.hostnames] })),
    hostname: options.hostname ?? spec.hostname,
    annotations: { ...spec.annotations },
    ...(sysctls === undefined ? {} : { sysctls }),
    ...(spec.hostPID === true ? { hostPID: true as const } : {}),
    ...(spec.hostIPC === true ? { hostIPC: true as const } : {}),
  };
}
