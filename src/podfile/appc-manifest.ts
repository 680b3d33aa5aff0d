/**
 * @module podfile/appc-manifest — an appc PodManifest (`acKind: PodManifest`, formats.md §1.4
 * with the stricter choices of §1.8) → PodSpec. The pod name is the file's base name without
 * extension and must be a DNS-1123 label; namespace `default`. Volumes map to hostPath
 * (recursive bind, must exist) and emptyDir (appc mode/uid/gid, default 0755 root); pod-level
 * `ports` publish an app port (named by an app of this manifest) on the host. Defaults as for a
 * Kubernetes pod: restartPolicy Always, grace period 30 s, hostname = pod name, host DNS.
 */
import { basename } from 'node:path';
import { AC_VERSION_SUPPORTED } from '../image/index.js';
import { readAcAnnotations, readAcName, readFreeMap } from './appc-common.js';
import type { LocatedApp, VolumeTable } from './appc-app.js';
import { readAppcApp, readAppcPort } from './appc-app.js';
import { readPodIsolators } from './appc-isolators.js';
import { POD_LIMITS } from './limits.js';
import { dnsLabelProblem, normaliseAbsolutePath } from './names.js';
import type { MapNode, PodNode } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readBoolean, readInteger, readList, readObject, readString, required } from './reader.js';
import { DEFAULT_PROTECTED_HOST_PATHS, protectedPathHit } from './host-path-guard.js';
import type { Scope } from './scope.js';
import type { AbsolutePath, ContainerPort, ContainerSpec, Hostname, PodName, PodNamespace, PodSpec, VolumeName, VolumeSpec } from './types.js';

const TOP_SHAPE = { fields: ['acKind', 'acVersion', 'apps', 'volumes', 'isolators', 'annotations', 'ports', 'userAnnotations', 'userLabels'] };
const VOLUME_SHAPE = { fields: ['name', 'kind', 'readOnly', 'source', 'recursive', 'mode', 'uid', 'gid'] };
const POD_PORT_SHAPE = { fields: ['name', 'hostPort', 'hostIP', 'podPort'] };
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** The pod name an appc file gets: its base name without .json/.yaml/.yml. */
export function appcPodName(fileName: string): string {
  return basename(fileName).replace(/\.(json|ya?ml)$/, '');
}

function compareVersions(a: string, b: string): number {
  const parts = (v: string): number[] => v.split(/[-+]/)[0]?.split('.').map(Number) ?? [];
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

function checkHeader(scope: Scope, top: Fields): void {
  const kindNode = required(scope.sink, top, 'acKind');
  const kind = kindNode === undefined ? undefined : readString(scope.sink, kindNode, 'acKind');
  if (kind !== undefined && kind !== 'PodManifest' && kindNode !== undefined) {
    const why = kind === 'ImageManifest' ? 'an ImageManifest describes an image, not a pod' : 'expected PodManifest';
    scope.sink.error(kindNode.pos, 'acKind', `acKind "${kind}" is not supported: ${why}`);
  }
  const versionNode = required(scope.sink, top, 'acVersion');
  const version = versionNode === undefined ? undefined : readString(scope.sink, versionNode, 'acVersion');
  if (version === undefined || versionNode === undefined) return;
  if (!SEMVER.test(version)) scope.sink.error(versionNode.pos, 'acVersion', `"${version}" is not a SemVer 2.0.0 version (like "${AC_VERSION_SUPPORTED}")`);
  else if (/^0\.0\.0(?:[-+]|$)/.test(version)) scope.sink.error(versionNode.pos, 'acVersion', 'must not be 0.0.0');
  else if (compareVersions(version, AC_VERSION_SUPPORTED) > 0) {
    scope.sink.error(versionNode.pos, 'acVersion', `${version} is newer than the appc spec rocklet implements (${AC_VERSION_SUPPORTED})`);
  }
}

function readVolume(scope: Scope, fields: Fields): { spec?: VolumeSpec; readOnly: boolean } {
  const before = scope.sink.errorCount;
  const nameNode = required(scope.sink, fields, 'name');
  const name = nameNode === undefined ? undefined : readAcName(scope, nameNode, fields.at('name'));
  const kindNode = required(scope.sink, fields, 'kind');
  const kind = kindNode === undefined ? undefined : readString(scope.sink, kindNode, fields.at('kind'));
  if (kind !== undefined && kind !== 'host' && kind !== 'empty' && kindNode !== undefined) scope.sink.error(kindNode.pos, fields.at('kind'), `"${kind}" is not a volume kind (host or empty)`);
  const forbidden = kind === 'host' ? ['mode', 'uid', 'gid'] : kind === 'empty' ? ['source', 'recursive'] : [];
  for (const key of forbidden) {
    const node = fields.get(key);
    if (node !== undefined) scope.sink.error(node.pos, fields.at(key), `${key} is not allowed for a volume of kind ${kind ?? ''}`);
  }
  const readOnlyNode = fields.get('readOnly');
  const readOnly = readOnlyNode === undefined ? false : (readBoolean(scope.sink, readOnlyNode, fields.at('readOnly')) ?? false);
  let spec: VolumeSpec | undefined;
  if (kind === 'host') {
    const sourceNode = required(scope.sink, fields, 'source');
    const source = sourceNode === undefined ? undefined : readString(scope.sink, sourceNode, fields.at('source'));
    const result = source === undefined ? undefined : normaliseAbsolutePath(source);
    if (result !== undefined && 'problem' in result && sourceNode !== undefined) scope.sink.error(sourceNode.pos, fields.at('source'), result.problem);
    const recursiveNode = fields.get('recursive');
    const recursive = recursiveNode === undefined ? true : readBoolean(scope.sink, recursiveNode, fields.at('recursive'));
    if (name !== undefined && result !== undefined && 'path' in result && recursive !== undefined) {
      spec = { name: name as VolumeName, source: { kind: 'hostPath', path: result.path as AbsolutePath, type: '', recursive } };
    }
    // The Kubernetes guard (host-path-guard.ts) for a volume that is not read-only.
    const hit = result !== undefined && 'path' in result && !readOnly ? protectedPathHit(result.path, scope.options.protectedHostPaths ?? DEFAULT_PROTECTED_HOST_PATHS) : undefined;
    if (hit !== undefined && result !== undefined && 'path' in result && sourceNode !== undefined) {
      const onto = hit.path === result.path ? '' : ` (${hit.path})`;
      scope.sink.error(sourceNode.pos, fields.at('source'), `host volume ${result.path} would give the pod's apps write access to ${hit.what}${onto}: set readOnly: true, or choose another path`);
    }
  } else if (kind === 'empty') {
    const modeNode = fields.get('mode');
    const mode = modeNode === undefined ? '0755' : readString(scope.sink, modeNode, fields.at('mode'));
    if (mode !== undefined && !/^0?[0-7]{3,4}$/.test(mode) && modeNode !== undefined) scope.sink.error(modeNode.pos, fields.at('mode'), `"${mode}" is not an octal mode (like "0755")`);
    const id = (key: string): number | undefined => {
      const node = fields.get(key);
      return node === undefined ? 0 : readInteger(scope.sink, node, fields.at(key), { min: 0, max: POD_LIMITS.maxId });
    };
    const [uid, gid] = [id('uid'), id('gid')];
    if (name !== undefined && mode !== undefined && uid !== undefined && gid !== undefined) {
      spec = { name: name as VolumeName, source: { kind: 'emptyDir', medium: 'Disk', mode: Number.parseInt(mode, 8), uid, gid } };
    }
  }
  return scope.sink.errorCount === before && spec !== undefined ? { spec, readOnly } : { readOnly };
}

function readVolumes(scope: Scope, top: Fields): { volumes: VolumeSpec[]; table: Map<string, boolean> } {
  const node = top.get('volumes');
  const items = node === undefined ? [] : (readList(scope.sink, node, 'volumes', POD_LIMITS.volumes) ?? []);
  const volumes: VolumeSpec[] = [];
  const table = new Map<string, boolean>();
  items.forEach((item, index) => {
    const fields = readObject(scope.sink, item, itemPath('volumes', index), VOLUME_SHAPE);
    if (fields === undefined) return;
    const { spec, readOnly } = readVolume(scope, fields);
    const nameNode = fields.get('name');
    const name = nameNode?.kind === 'scalar' && typeof nameNode.value === 'string' ? nameNode.value : undefined;
    if (name !== undefined && table.has(name)) scope.sink.error(nameNode?.pos ?? item.pos, fields.at('name'), `duplicate volume name "${name}"`);
    if (name !== undefined) table.set(name, readOnly);
    if (spec !== undefined) volumes.push(spec);
  });
  return { volumes, table };
}

function readApps(scope: Scope, top: Fields, volumes: VolumeTable): LocatedApp[] {
  const node = required(scope.sink, top, 'apps');
  const items = node === undefined ? [] : (readList(scope.sink, node, 'apps', POD_LIMITS.containers) ?? []);
  if (node?.kind === 'seq' && items.length === 0) scope.sink.error(node.pos, 'apps', 'a pod needs at least one app');
  const apps = items.map((item, index) => readAppcApp(scope, item, itemPath('apps', index), volumes));
  const seen = new Map<string, string>();
  for (const app of apps) {
    if (app.name === undefined) continue;
    const first = seen.get(app.name);
    if (first !== undefined) scope.sink.error(app.namePos, `${app.path}.name`, `duplicate app name "${app.name}": ${first} and ${app.path}`);
    else seen.set(app.name, app.path);
  }
  return apps;
}

/** Applies pod-level `ports`: each names an app port and publishes it on hostPort. */
function applyPodPorts(scope: Scope, node: PodNode | undefined, containers: ContainerSpec[]): ContainerSpec[] {
  const items = node === undefined ? [] : (readList(scope.sink, node, 'ports', 256) ?? []);
  const bindings = new Map<string, string>();
  let result = containers;
  items.forEach((item, index) => {
    const at = itemPath('ports', index);
    const fields = readObject(scope.sink, item, at, POD_PORT_SHAPE);
    if (fields === undefined) return;
    const nameNode = required(scope.sink, fields, 'name');
    const name = nameNode === undefined ? undefined : readAcName(scope, nameNode, fields.at('name'));
    const hostNode = required(scope.sink, fields, 'hostPort');
    const hostPort = hostNode === undefined ? undefined : readInteger(scope.sink, hostNode, fields.at('hostPort'), { min: 1, max: 65535 });
    const ipNode = fields.get('hostIP');
    const hostIP = ipNode === undefined ? undefined : readString(scope.sink, ipNode, fields.at('hostIP'));
    if (hostIP !== undefined && ipNode !== undefined && !/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(hostIP)) {
      scope.sink.error(ipNode.pos, fields.at('hostIP'), `"${hostIP}" is not an IPv4 address`);
    }
    const podPortNode = fields.get('podPort');
    const podPort = podPortNode === undefined ? undefined : readAppcPort(scope, podPortNode, fields.at('podPort'));
    if (name === undefined || hostPort === undefined || nameNode === undefined) return;
    const owner = result.findIndex((container) => container.ports.some((port) => port.name === name));
    if (owner === -1) {
      scope.sink.error(nameNode.pos, fields.at('name'), `no app of this manifest declares a port "${name}" (declare it in apps[].app.ports)`);
      return;
    }
    const base = result[owner]?.ports.find((port) => port.name === name);
    const protocol = podPort?.protocol ?? base?.protocol ?? 'TCP';
    const key = `${protocol}/${hostPort}`;
    if (bindings.has(key)) scope.sink.error(hostNode?.pos ?? item.pos, fields.at('hostPort'), `host port ${hostPort}/${protocol} is already used by ${bindings.get(key) ?? ''}`);
    bindings.set(key, at);
    const publish = (port: ContainerPort): ContainerPort =>
      port.name !== name ? port : { ...(podPort ?? port), name: port.name, hostPort, ...(hostIP === undefined ? {} : { hostIP }) };
    result = result.map((container, i) => (i === owner ? { ...container, ports: container.ports.map(publish) } : container));
  });
  return result;
}

function checkUniquePortNames(scope: Scope, root: MapNode, containers: readonly ContainerSpec[]): void {
  const seen = new Set<string>();
  for (const port of containers.flatMap((container) => container.ports)) {
    if (port.name === undefined) continue;
    if (seen.has(port.name)) scope.sink.error(root.pos, 'apps', `port name "${port.name}" is declared by more than one app (pod ports refer to apps' ports by name)`);
    seen.add(port.name);
  }
}

/** Validates an appc PodManifest tree; the pod is named after `fileName`. */
export function parseAppcPodManifest(scope: Scope, root: MapNode, fileName: string): { spec?: PodSpec; identity?: { namespace: string; name: string } } {
  const before = scope.sink.errorCount;
  const top = readObject(scope.sink, root, '', TOP_SHAPE);
  if (top === undefined) return {};
  checkHeader(scope, top);
  const podName = appcPodName(fileName);
  const nameProblem = dnsLabelProblem(podName);
  if (nameProblem !== undefined) scope.sink.error({ line: 0, column: 0 }, '', `an appc pod is named after its file: ${nameProblem}`);
  const { volumes, table } = readVolumes(scope, top);
  const apps = readApps(scope, top, table);
  const sysctls = readPodIsolators(scope, top.get('isolators'), 'isolators');
  const annotations = Object.fromEntries(readAcAnnotations(scope, top, 'annotations').map((a) => [a.name, a.value]));
  for (const [key, value] of Object.entries(readFreeMap(scope, top, 'userAnnotations'))) {
    if (Object.hasOwn(annotations, key)) scope.sink.error(root.pos, 'userAnnotations', `"${key}" is also in annotations`);
    annotations[key] = value;
  }
  const labels = readFreeMap(scope, top, 'userLabels');
  const containers = apps.flatMap((app) => (app.spec === undefined ? [] : [app.spec]));
  checkUniquePortNames(scope, root, containers);
  const published = applyPodPorts(scope, top.get('ports'), containers);
  const identity = nameProblem === undefined ? { namespace: 'default', name: podName } : undefined;
  if (scope.sink.errorCount !== before || nameProblem !== undefined) return identity === undefined ? {} : { identity };
  const spec: PodSpec = {
    format: 'appc',
    name: podName as PodName,
    namespace: 'default' as PodNamespace,
    labels,
    annotations,
    nodeSelector: {},
    initContainers: [],
    containers: published,
    volumes,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    hostNetwork: false,
    hostname: podName as Hostname,
    dns: { policy: 'Default', nameservers: [], searches: [], options: [] },
    hostAliases: [],
    shareProcessNamespace: false,
    sysctls,
    insecureOptions: [],
  };
  return { spec, identity: { namespace: 'default', name: podName } };
}
