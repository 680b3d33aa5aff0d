/**
 * @module podfile/kube-container — one entry of `spec.containers` or `spec.initContainers`:
 * name, image (Docker reference grammar, checked before any pull), pull policy with
 * Kubernetes' default, command/args (kept unexpanded; see expand.ts), workingDir, env, ports,
 * volumeMounts (naming declared volumes), resources, securityContext, probes and lifecycle hooks
 * (kube-probes.ts).
 */
import type { DockerReference } from '../image/index.js';
import { parseDockerReference } from '../image/index.js';
import { isRockletError } from '../util/index.js';
import { readKubeEnv, readKubeEnvFrom } from './kube-env.js';
import type { LocatedPort } from './kube-ports.js';
import { readKubePorts } from './kube-ports.js';
import { readKubeLifecycle, readKubeProbes } from './kube-probes.js';
import { readKubeResources } from './kube-resources.js';
import type { PodSecurityDefaults } from './kube-security.js';
import { readContainerSecurity } from './kube-security.js';
import { CONTAINER_SHAPE, INIT_CONTAINER_SHAPE, VOLUME_MOUNT_SHAPE } from './kube-shapes.js';
import { POD_LIMITS } from './limits.js';
import { dnsLabelProblem, normaliseAbsolutePath } from './names.js';
import type { PodNode, Position } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readBoolean, readEnum, readList, readNonEmptyString, readObject, readString, readStringList, required } from './reader.js';
import type { Scope } from './scope.js';
import type { AbsolutePath, ContainerName, ContainerSpec, PullPolicy, VolumeMount, VolumeName } from './types.js';
import { PULL_POLICIES } from './types.js';

/** A container with where it was written, for pod-wide checks. */
export interface LocatedContainer {
  readonly spec?: ContainerSpec;
  readonly name?: string;
  readonly path: string;
  readonly namePos: Position;
  readonly ports: readonly LocatedPort[];
}

export interface ContainerContext {
  readonly init: boolean;
  readonly hostNetwork: boolean;
  readonly volumeNames: ReadonlySet<string>;
  readonly security: PodSecurityDefaults;
}

function readImage(scope: Scope, fields: Fields): DockerReference | undefined {
  const node = required(scope.sink, fields, 'image', 'required field is missing: name the image to run, e.g. image: nginx:1.27');
  const text = node === undefined ? undefined : readNonEmptyString(scope.sink, node, fields.at('image'));
  if (text === undefined || node === undefined) return undefined;
  try {
    return parseDockerReference(text);
  } catch (error) {
    if (!isRockletError(error)) throw error;
    scope.sink.error(node.pos, fields.at('image'), error.message);
    return undefined;
  }
}

/** Kubernetes' defaulting: `:latest` (or no tag) pulls Always, unless a digest pins the image. */
export function defaultPullPolicy(image: DockerReference): PullPolicy {
  return image.tag === 'latest' && image.digest === undefined ? 'Always' : 'IfNotPresent';
}

function readArgv(scope: Scope, fields: Fields, key: 'command' | 'args'): string[] | undefined {
  const node = fields.get(key);
  if (node === undefined) return undefined;
  const values = readStringList(scope.sink, node, fields.at(key), POD_LIMITS.argvItems);
  values?.forEach((value, index) => {
    if (Buffer.byteLength(value) > POD_LIMITS.argBytes) {
      const at = node.kind === 'seq' ? (node.items[index]?.pos ?? node.pos) : node.pos;
      scope.sink.error(at, itemPath(fields.at(key), index), `argument is ${Buffer.byteLength(value)} bytes long (the kernel limit is ${POD_LIMITS.argBytes})`);
    }
  });
  return values;
}

function readPath(scope: Scope, node: PodNode, path: string): AbsolutePath | undefined {
  const text = readNonEmptyString(scope.sink, node, path);
  if (text === undefined) return undefined;
  const result = normaliseAbsolutePath(text);
  if ('problem' in result) {
    scope.sink.error(node.pos, path, result.problem);
    return undefined;
  }
  return result.path as AbsolutePath;
}

function readMounts(scope: Scope, fields: Fields, volumeNames: ReadonlySet<string>): VolumeMount[] {
  const node = fields.get('volumeMounts');
  const path = fields.at('volumeMounts');
  const items = node === undefined ? [] : (readList(scope.sink, node, path, POD_LIMITS.mountsPerContainer) ?? []);
  const mounts: VolumeMount[] = [];
  const seenPaths = new Map<string, string>();
  items.forEach((item, index) => {
    const mount = readObject(scope.sink, item, itemPath(path, index), VOLUME_MOUNT_SHAPE);
    if (mount === undefined) return;
    const nameNode = required(scope.sink, mount, 'name');
    const name = nameNode === undefined ? undefined : readString(scope.sink, nameNode, mount.at('name'));
    if (name !== undefined && nameNode !== undefined && !volumeNames.has(name)) {
      const known = volumeNames.size === 0 ? 'no volumes are declared' : `declared: ${[...volumeNames].join(', ')}`;
      scope.sink.error(nameNode.pos, mount.at('name'), `volume "${name}" is not declared in spec.volumes (${known})`);
    }
    const mountPathNode = required(scope.sink, mount, 'mountPath');
    const mountPath = mountPathNode === undefined ? undefined : readPath(scope, mountPathNode, mount.at('mountPath'));
    if (mountPath !== undefined && mountPathNode !== undefined) {
      const first = seenPaths.get(mountPath);
      if (first !== undefined) scope.sink.error(mountPathNode.pos, mount.at('mountPath'), `duplicate mountPath "${mountPath}" (also ${first})`);
      seenPaths.set(mountPath, mount.at('mountPath'));
    }
    const readOnlyNode = mount.get('readOnly');
    const readOnly = readOnlyNode === undefined ? false : (readBoolean(scope.sink, readOnlyNode, mount.at('readOnly')) ?? false);
    const sub = readSubPath(scope, mount);
    if (name !== undefined && mountPath !== undefined) mounts.push({ name: name as VolumeName, mountPath, readOnly, ...sub });
  });
  return mounts;
}

/** Kubernetes' rule for subPath and subPathExpr: relative, no `..` component (an empty one means none). */
function subPathProblem(value: string): string | undefined {
  if (value.startsWith('/')) return 'must be a relative path inside the volume';
  if (value.split('/').includes('..')) return 'must not contain ".."';
  if (value.includes('\0')) return 'must not contain a NUL byte';
  return undefined;
}

function readSubPath(scope: Scope, mount: Fields): { subPath?: string; subPathExpr?: string } {
  const read = (key: 'subPath' | 'subPathExpr'): string | undefined => {
    const node = mount.get(key);
    const value = node === undefined ? undefined : readString(scope.sink, node, mount.at(key));
    if (value === undefined || node === undefined || value === '') return undefined;
    const problem = subPathProblem(value);
    if (problem !== undefined) scope.sink.error(node.pos, mount.at(key), problem);
    return problem === undefined ? value : undefined;
  };
  const subPath = read('subPath');
  const subPathExpr = read('subPathExpr');
  if (subPath !== undefined && subPathExpr !== undefined) {
    scope.sink.error(mount.get('subPathExpr')?.pos ?? mount.node.pos, mount.at('subPathExpr'), 'subPath and subPathExpr are mutually exclusive');
    return {};
  }
  return { ...(subPath === undefined ? {} : { subPath }), ...(subPathExpr === undefined ? {} : { subPathExpr }) };
}

/** `tty`, `stdin` and (init containers) `restartPolicy: Always`, each present only when set. */
function readTerminalAndSidecar(scope: Scope, fields: Fields, init: boolean): Pick<ContainerSpec, 'tty' | 'stdin' | 'sidecar'> {
  const flag = (key: 'tty' | 'stdin'): boolean => {
    const node = fields.get(key);
    return node === undefined ? false : (readBoolean(scope.sink, node, fields.at(key)) ?? false);
  };
  const restartNode = init ? fields.get('restartPolicy') : undefined;
  const restart = restartNode === undefined ? undefined : readEnum(scope.sink, restartNode, fields.at('restartPolicy'), ['Always'] as const);
  return { ...(flag('tty') ? { tty: true } : {}), ...(flag('stdin') ? { stdin: true } : {}), ...(restart === 'Always' ? { sidecar: true } : {}) };
}

function readName(scope: Scope, fields: Fields): string | undefined {
  const node = required(scope.sink, fields, 'name');
  const name = node === undefined ? undefined : readString(scope.sink, node, fields.at('name'));
  if (name === undefined || node === undefined) return undefined;
  const problem = dnsLabelProblem(name);
  if (problem !== undefined) scope.sink.error(node.pos, fields.at('name'), problem);
  return name;
}

/** Reads one container; `spec` is absent when it had errors. */
export function readKubeContainer(scope: Scope, node: PodNode, path: string, context: ContainerContext): LocatedContainer {
  const fields = readObject(scope.sink, node, path, context.init ? INIT_CONTAINER_SHAPE : CONTAINER_SHAPE);
  if (fields === undefined) return { path, namePos: node.pos, ports: [] };
  const before = scope.sink.errorCount;
  const name = readName(scope, fields);
  const image = readImage(scope, fields);
  const policyNode = fields.get('imagePullPolicy');
  const policy = policyNode === undefined ? undefined : readEnum(scope.sink, policyNode, fields.at('imagePullPolicy'), PULL_POLICIES);
  const command = readArgv(scope, fields, 'command');
  const args = readArgv(scope, fields, 'args');
  const workingDirNode = fields.get('workingDir');
  const workingDir = workingDirNode === undefined ? undefined : readPath(scope, workingDirNode, fields.at('workingDir'));
  const env = readKubeEnv(scope, fields.get('env'), fields.at('env'), name);
  const envFrom = readKubeEnvFrom(scope, fields.get('envFrom'), fields.at('envFrom'));
  env.forEach((variable, index) => {
    if (variable.kind === 'value' && Buffer.byteLength(variable.value) > POD_LIMITS.argBytes) {
      scope.sink.error(node.pos, `${itemPath(fields.at('env'), index)}.value`, `value is longer than the kernel limit of ${POD_LIMITS.argBytes} bytes`);
    }
  });
  const ports = readKubePorts(scope, fields.get('ports'), fields.at('ports'), context.hostNetwork);
  const volumeMounts = readMounts(scope, fields, context.volumeNames);
  const resources = readKubeResources(scope.sink, fields.get('resources'), fields.at('resources'));
  const security = readContainerSecurity(scope, fields.get('securityContext'), fields.at('securityContext'), context.security);
  const terminal = readTerminalAndSidecar(scope, fields, context.init);
  const declaredPorts = ports.map((port) => port.port);
  const probes = readKubeProbes(scope, fields, declaredPorts);
  const lifecycle = readKubeLifecycle(scope, fields.get('lifecycle'), fields.at('lifecycle'), declaredPorts);
  const namePos = fields.get('name')?.pos ?? node.pos;
  const located = { ...(name === undefined ? {} : { name }), path, namePos, ports };
  if (scope.sink.errorCount !== before || name === undefined || image === undefined) return located;
  const spec: ContainerSpec = {
    name: name as ContainerName,
    image: { kind: 'docker', reference: image },
    imagePullPolicy: policy ?? defaultPullPolicy(image),
    ...(command === undefined ? {} : { command }),
    ...(args === undefined ? {} : { args }),
    ...(workingDir === undefined ? {} : { workingDir }),
    env,
    ...(envFrom.length === 0 ? {} : { envFrom }),
    ports: ports.map((port) => port.port),
    volumeMounts,
    resources,
    security,
    eventHandlers: {},
    ...terminal,
    ...(Object.keys(probes).length === 0 ? {} : { probes }),
    ...(Object.keys(lifecycle).length === 0 ? {} : { lifecycle }),
  };
  return { ...located, spec };
}
