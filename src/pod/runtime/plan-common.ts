/**
 * @module pod/runtime/plan-common — what both planners need: fetched images as the planners
 * see them, app names, the image's app section read as rkt reads it, port resolution and the
 * implicit volumes of unmounted image mount points.
 */
import type { ImageRecord, MountPoint } from '../../image/index.js';
import {
  DEFAULT_CAPABILITIES, DOCKER_ANNOTATION, hostArch, isACName, isSysctlName, labelValue, notNamespacedSysctl, splitDockerUser, sysctlNamespace,
} from '../../image/index.js';
import type { CapabilityName, ContainerSpec, Protocol, SeccompPolicy } from '../../podfile/index.js';
import { failedPrecondition, invalidArgument } from '../../util/index.js';
import type { RuntimeEvent } from './context.js';
import type { PlannedImage, PlannedResources, PlannedVolume } from './plan.js';

/** One fetched image, its tree rendered: what planning needs from the image layer. */
export interface ResolvedImage {
  readonly record: ImageRecord;
  /** The rendered tree's ID (dependencies merged), topmost first. */
  readonly trees: readonly string[];
}

export function plannedImage(image: ResolvedImage): PlannedImage {
  const version = labelValue(image.record.labels, 'version');
  return { id: image.record.id, name: image.record.name, trees: [...image.trees], ...(version === undefined ? {} : { version }) };
}

/**
 * Refuse an image labelled for another OS or architecture than this host's, before it runs
 * (`ERR_IMAGE_PLATFORM`, naming both). Images without the labels run anywhere (appc).
 */
export function checkRunnablePlatform(record: ImageRecord): void {
  const os = labelValue(record.labels, 'os');
  const arch = labelValue(record.labels, 'arch');
  const host = hostArch();
  if ((os === undefined || os === 'linux') && (arch === undefined || host === undefined || arch === host)) return;
  throw failedPrecondition('ERR_IMAGE_PLATFORM', `image ${record.name} (${record.id}) is built for ${os ?? 'linux'}/${arch ?? 'any'}, but this host is linux/${host ?? process.arch}`, {
    hint: 'use an image built for this machine',
  });
}

/**
 * The image's user and group as planning reads them. An OCI/Docker image's `User` without a
 * group means the user's primary group in the image's /etc/passwd: the group is left out.
 */
export function imageIdentity(record: ImageRecord): { user?: string; group?: string } {
  const app = record.manifest.app;
  const docker = record.manifest.annotations.find((annotation) => annotation.name === DOCKER_ANNOTATION.user);
  if (docker !== undefined && record.oci !== undefined) {
    const { user, group } = splitDockerUser(docker.value);
    return group === '' ? { user } : { user, group };
  }
  return app === undefined ? {} : { user: app.user, group: app.group };
}

/** docker2aci marks every image it converts with annotations under this prefix. */
export const DOCKER_ANNOTATION_PREFIX = 'appc.io/docker/';

/** True for an image converted from a Docker image (any `appc.io/docker/` annotation). */
export function isDockerStyleImage(record: ImageRecord): boolean {
  return record.manifest.annotations.some((annotation) => annotation.name.startsWith(DOCKER_ANNOTATION_PREFIX));
}

/** An image mount point that no volume covers, and the app whose image declares it. */
export interface ImplicitVolumeRequest {
  /** The volume's name (`<app>-<mount point>`, or the mount point's own name). */
  readonly name: string;
  readonly app: string;
  readonly record: ImageRecord;
  readonly point: MountPoint;
}

/**
 * rkt's implicit empty volume (0755 root:root) for `request.point`, reporting rkt's warning. A
 * Docker-style image's volume is planned prefilled from the image (Docker's VOLUME semantics;
 * an ACI-native image's stays empty, as in rkt).
 */
export function implicitVolume(request: ImplicitVolumeRequest, onEvent: ((event: RuntimeEvent) => void) | undefined): PlannedVolume {
  const { name, app, record, point } = request;
  const prefill = isDockerStyleImage(record);
  onEvent?.({
    message: `warning: no volume specified for mount point "${point.name}" of app "${app}", implicitly creating an "empty" volume${
      prefill ? ` filled with the image's ${point.path} (Docker image)` : ''}. This volume will be removed when the pod is garbage-collected.`,
  });
  return { name, kind: 'empty', medium: 'Disk', mode: 0o755, uid: 0, gid: 0, ...(prefill ? { prefillFrom: { app, path: point.path } } : {}) };
}

/**
 * rkt's default app name: the last path component of the image name, made an AC Name
 * (`coreos.com/etcd` → `etcd`, `example.com/My_App` → `my-app`).
 */
export function defaultAppName(imageName: string): string {
  const last = imageName.split('/').filter((part) => part !== '').at(-1) ?? '';
  const name = last.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return name === '' ? 'app' : name;
}

/** Throws `ERR_DUPLICATE_APP_NAME` for the first name used twice. */
export function checkUniqueAppNames(names: readonly string[], hint: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw invalidArgument('ERR_DUPLICATE_APP_NAME', `duplicate app name "${name}": app names must be unique in a pod`, { hint });
    seen.add(name);
  }
}

/** Throws `ERR_APP_NAME_INVALID` unless `name` is an AC Name. */
export function checkAppNameSyntax(name: string): void {
  if (!isACName(name)) {
    throw invalidArgument('ERR_APP_NAME_INVALID', `app name "${name}" is not an AC name`, { hint: 'lowercase letters, digits and single dashes, e.g. --name=web-1' });
  }
}

/** The default capability set as the branded type. */
export const DEFAULT_CAPS: readonly CapabilityName[] = DEFAULT_CAPABILITIES as readonly string[] as CapabilityName[];

function sorted(names: Iterable<string>): CapabilityName[] {
  return [...new Set(names)].sort() as CapabilityName[];
}

/** What the image's isolators say, before the command line overrides it. */
export interface ImageIsolators {
  readonly capabilities: readonly CapabilityName[];
  readonly seccomp: SeccompPolicy;
  readonly noNewPrivileges: boolean;
  readonly oomScoreAdj?: number;
  readonly resources: PlannedResources;
}

/** Capabilities from retain/remove sets (appc: retain = exactly the set; remove = default minus it). */
export function capabilitySet(retain: readonly string[] | undefined, remove: readonly string[] | undefined): CapabilityName[] {
  if (retain !== undefined) return sorted(retain);
  const set = new Set<string>(DEFAULT_CAPS);
  for (const name of remove ?? []) set.delete(name);
  return sorted(set);
}

/** Reads an image app's isolators (rkt.md §6.3); absent ones give the defaults. */
export function imageIsolators(record: ImageRecord): ImageIsolators {
  let retain: readonly string[] | undefined;
  let remove: readonly string[] | undefined;
  let seccomp: SeccompPolicy = { kind: 'RuntimeDefault' };
  let noNewPrivileges = false;
  let oomScoreAdj: number | undefined;
  const resources: { memoryBytes?: number; cpuMillicores?: number; cpuShares?: number } = {};
  for (const isolator of record.manifest.app?.isolators ?? []) {
    const { name, value } = isolator;
    if (value.kind === 'capabilities') {
      if (name === 'os/linux/capabilities-retain-set') retain = value.set;
      else remove = value.set;
    } else if (value.kind === 'seccomp') {
      const mode = name === 'os/linux/seccomp-retain-set' ? 'retain' : 'remove';
      seccomp = { kind: 'syscalls', mode, syscalls: [...value.set], ...(value.errno === undefined ? {} : { errno: value.errno }) };
    } else if (value.kind === 'no-new-privileges') {
      noNewPrivileges = value.enabled;
    } else if (value.kind === 'integer' && name === 'os/linux/oom-score-adj') {
      oomScoreAdj = value.value;
    } else if (value.kind === 'integer' && name === 'os/linux/cpu-shares') {
      resources.cpuShares = value.value;
    } else if (value.kind === 'resource' && value.limit !== undefined) {
      if (name === 'resource/memory') resources.memoryBytes = Math.ceil(value.limit);
      if (name === 'resource/cpu') resources.cpuMillicores = Math.max(1, Math.round(value.limit * 1000));
    }
  }
  return { capabilities: capabilitySet(retain, remove), seccomp, noNewPrivileges, resources, ...(oomScoreAdj === undefined ? {} : { oomScoreAdj }) };
}

/** appc port protocols are lowercase; the plan uses Kubernetes' spelling. */
export function planProtocol(protocol: string): Protocol {
  return protocol.toLowerCase() === 'udp' ? 'UDP' : 'TCP';
}

/**
 * Why sysctl `name` cannot be set in a pod of `stage1` with network `net`, or undefined when
 * it can. A pod's sysctls are written into its own network and IPC namespaces; fly apps run in
 * the host's, and a host-network pod shares the host's network namespace, so there the write
 * would change the host.
 */
export function sysctlRefusal(name: string, stage1: 'crun' | 'fly', net: string): string | undefined {
  if (!isSysctlName(name)) return `"${name}" is not a valid sysctl name`;
  if (sysctlNamespace(name) === undefined) return notNamespacedSysctl(name);
  if (stage1 === 'fly') return `sysctl "${name}" cannot be set with stage1 fly: its app runs in the host's namespaces, so it would change the host`;
  if (net === 'host' && name.startsWith('net.')) return `sysctl "${name}" would change the host's network settings (the pod uses the host network)`;
  return undefined;
}

/** A container's limits as the runtime applies them (limits only; requests are not enforced). */
export function containerResources(container: ContainerSpec): PlannedResources {
  const { memory, cpu, cpuShares } = container.resources;
  return {
    ...(memory?.limitBytes === undefined ? {} : { memoryBytes: memory.limitBytes }),
    ...(cpu?.limitMillicores === undefined ? {} : { cpuMillicores: cpu.limitMillicores }),
    ...(cpuShares === undefined ? {} : { cpuShares }),
  };
}
