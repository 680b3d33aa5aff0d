/**
 * @module podfile/appc-app — one entry of a PodManifest's `apps` → ContainerSpec. The pod's
 * `app` object, when present, replaces the image's app entirely (spec/pods.md), so `exec`,
 * `user` and `group` are then required and the working directory defaults to `/`. Ports are
 * resolved here, with pod-level `ports` applied by appc-manifest.ts. Known divergence: the
 * image's environment is still the base the app's `environment` is added to.
 */
import { IMAGE_ID_PREFIX, MIN_ID_PREFIX_HEX, looksLikeImageId } from '../image/index.js';
import { readAcAnnotations, readAcIdentifier, readAcName, readFreeMap, readImageLabels } from './appc-common.js';
import type { AppIsolation } from './appc-isolators.js';
import { readAppIsolators } from './appc-isolators.js';
import { effectiveCapabilities } from './capabilities.js';
import { envNameProblem, normaliseAbsolutePath } from './names.js';
import type { PodNode, Position } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readBoolean, readInteger, readList, readObject, readString, readStringList, required } from './reader.js';
import type { Scope } from './scope.js';
import type {
  AbsolutePath, ContainerName, ContainerPort, ContainerSpec, EnvVar, EnvVarName, EventHandlers, IdentityRef, ImageSource, PortName, VolumeMount, VolumeName,
} from './types.js';

const APP_ENTRY_SHAPE = { fields: ['name', 'image', 'app', 'readOnlyRootFS', 'mounts', 'annotations'] };
const IMAGE_SHAPE = { fields: ['id', 'name', 'labels'] };
const APP_SHAPE = {
  fields: ['exec', 'user', 'group', 'supplementaryGIDs', 'supplementaryGids', 'eventHandlers', 'workingDirectory', 'environment', 'isolators', 'mountPoints', 'ports', 'userAnnotations', 'userLabels'],
};
const MOUNT_SHAPE = { fields: ['volume', 'path'], special: { appVolume: () => ({ error: 'appVolume is not supported by rocklet v1: declare the volume in the top-level volumes' }) } };
export const APPC_PORT_SHAPE = { fields: ['name', 'protocol', 'port', 'count', 'socketActivated'] };

/** A parsed app with where its name and ports were written. */
export interface LocatedApp {
  readonly spec?: ContainerSpec;
  readonly name?: string;
  readonly namePos: Position;
  readonly path: string;
}

/** The volumes an app may mount: name → read-only flag of the volume. */
export type VolumeTable = ReadonlyMap<string, boolean>;

function readImage(scope: Scope, node: PodNode, path: string): ImageSource | undefined {
  const fields = readObject(scope.sink, node, path, IMAGE_SHAPE);
  if (fields === undefined) return undefined;
  const idNode = fields.get('id');
  const id = idNode === undefined ? undefined : readString(scope.sink, idNode, fields.at('id'));
  if (id !== undefined && idNode !== undefined && (!looksLikeImageId(id) || id.length < IMAGE_ID_PREFIX.length + MIN_ID_PREFIX_HEX || id.length > IMAGE_ID_PREFIX.length + 128)) {
    scope.sink.error(idNode.pos, fields.at('id'), `"${id}" is not an image ID: "sha512-" and 128 lowercase hex digits (or a unique prefix of at least ${MIN_ID_PREFIX_HEX})`);
  }
  const nameNode = fields.get('name');
  const name = nameNode === undefined ? undefined : readAcIdentifier(scope, nameNode, fields.at('name'));
  if (idNode === undefined && nameNode === undefined) scope.sink.error(node.pos, path, 'an image needs an id or a name');
  const labels = readImageLabels(scope, fields.get('labels'), fields.at('labels'));
  return { kind: 'appc', ...(id === undefined ? {} : { id }), ...(name === undefined ? {} : { name }), labels };
}

function readIdentity(scope: Scope, fields: Fields, key: 'user' | 'group'): IdentityRef | undefined {
  const node = required(scope.sink, fields, key, `required field is missing: when app is given it replaces the image's, so name the ${key} (a name, a number or an absolute path)`);
  const value = node === undefined ? undefined : readString(scope.sink, node, fields.at(key));
  if (value === undefined || node === undefined) return undefined;
  if (/^\d+$/.test(value)) {
    const id = Number(value);
    if (id <= 2 ** 32 - 2) return { kind: 'id', id };
  } else if (value.startsWith('/')) {
    const result = normaliseAbsolutePath(value);
    if ('path' in result) return { kind: 'path', path: result.path as AbsolutePath };
  } else if (value !== '' && !value.includes(':')) return { kind: 'name', name: value };
  scope.sink.error(node.pos, fields.at(key), `"${value}" is not a ${key} name, numeric id or absolute path`);
  return undefined;
}

function readExec(scope: Scope, node: PodNode | undefined, path: string): string[] | undefined {
  const exec = node === undefined ? undefined : readStringList(scope.sink, node, path, 4096);
  if (node !== undefined && exec !== undefined && (exec.length === 0 || exec[0] === '')) {
    scope.sink.error(node.pos, path, 'must name a program: a pod\'s app replaces the image\'s, so it needs its own exec');
    return undefined;
  }
  return exec;
}

function readEventHandlers(scope: Scope, node: PodNode | undefined, path: string): EventHandlers {
  const items = node === undefined ? [] : (readList(scope.sink, node, path, 2) ?? []);
  let handlers: EventHandlers = {};
  items.forEach((item, index) => {
    const fields = readObject(scope.sink, item, itemPath(path, index), { fields: ['name', 'exec'] });
    const nameNode = fields === undefined ? undefined : required(scope.sink, fields, 'name');
    const name = nameNode === undefined || fields === undefined ? undefined : readString(scope.sink, nameNode, fields.at('name'));
    const exec = fields === undefined ? undefined : readExec(scope, required(scope.sink, fields, 'exec'), fields.at('exec'));
    if (name === undefined || nameNode === undefined || fields === undefined) return;
    const key = name === 'pre-start' ? 'preStart' : name === 'post-stop' ? 'postStop' : undefined;
    if (key === undefined) scope.sink.error(nameNode.pos, fields.at('name'), `unknown event handler "${name}" (expected pre-start or post-stop)`);
    else if (handlers[key] !== undefined) scope.sink.error(nameNode.pos, fields.at('name'), `duplicate event handler "${name}" (one of each)`);
    else if (exec !== undefined) handlers = { ...handlers, [key]: exec };
  });
  return handlers;
}

function readEnvironment(scope: Scope, node: PodNode | undefined, path: string): EnvVar[] {
  const items = node === undefined ? [] : (readList(scope.sink, node, path, 1024) ?? []);
  const env: EnvVar[] = [];
  items.forEach((item, index) => {
    const fields = readObject(scope.sink, item, itemPath(path, index), { fields: ['name', 'value'] });
    const nameNode = fields === undefined ? undefined : required(scope.sink, fields, 'name');
    const valueNode = fields === undefined ? undefined : required(scope.sink, fields, 'value');
    const name = nameNode === undefined || fields === undefined ? undefined : readString(scope.sink, nameNode, fields.at('name'));
    const value = valueNode === undefined || fields === undefined ? undefined : readString(scope.sink, valueNode, fields.at('value'));
    if (name === undefined || value === undefined || nameNode === undefined || fields === undefined) return;
    const problem = envNameProblem(name) ?? (env.some((v) => v.name === name) ? `duplicate environment variable "${name}"` : undefined);
    if (problem !== undefined) scope.sink.error(nameNode.pos, fields.at('name'), problem);
    else env.push({ kind: 'value', name: name as EnvVarName, value });
  });
  return env;
}

/** A Port object (`app.ports[]` and the pod's `podPort`). */
export function readAppcPort(scope: Scope, node: PodNode, path: string): ContainerPort | undefined {
  const fields = readObject(scope.sink, node, path, APPC_PORT_SHAPE);
  if (fields === undefined) return undefined;
  const before = scope.sink.errorCount;
  const nameNode = required(scope.sink, fields, 'name');
  const name = nameNode === undefined ? undefined : readAcName(scope, nameNode, fields.at('name'));
  const protocolNode = required(scope.sink, fields, 'protocol');
  const protocol = protocolNode === undefined ? undefined : readString(scope.sink, protocolNode, fields.at('protocol'));
  if (protocol !== undefined && protocol !== 'tcp' && protocol !== 'udp' && protocolNode !== undefined) {
    scope.sink.error(protocolNode.pos, fields.at('protocol'), `protocol "${protocol}" is not supported by rocklet v1: use tcp or udp`);
  }
  const portNode = required(scope.sink, fields, 'port');
  const port = portNode === undefined ? undefined : readInteger(scope.sink, portNode, fields.at('port'), { min: 1, max: 65535 });
  const countNode = fields.get('count');
  const count = countNode === undefined ? 1 : readInteger(scope.sink, countNode, fields.at('count'), { min: 1, max: 65535 });
  if (countNode !== undefined && port !== undefined && count !== undefined) {
    if (port + count - 1 > 65535) scope.sink.error(countNode.pos, fields.at('count'), `port range ${port}-${port + count - 1} ends above 65535`);
    else if (count > 1) scope.sink.error(countNode.pos, fields.at('count'), 'port ranges (count > 1) are not supported by rocklet v1');
  }
  const socketNode = fields.get('socketActivated');
  if (socketNode !== undefined && readBoolean(scope.sink, socketNode, fields.at('socketActivated')) === true) {
    scope.sink.error(socketNode.pos, fields.at('socketActivated'), 'socket activation is not supported by rocklet v1');
  }
  if (scope.sink.errorCount !== before || name === undefined || port === undefined) return undefined;
  return { name: name as PortName, containerPort: port, protocol: protocol === 'udp' ? 'UDP' : 'TCP' };
}

function readMounts(scope: Scope, fields: Fields, volumes: VolumeTable, mountPoints: ReadonlyMap<string, boolean>): VolumeMount[] {
  const node = fields.get('mounts');
  const items = node === undefined ? [] : (readList(scope.sink, node, fields.at('mounts'), 64) ?? []);
  const mounts: VolumeMount[] = [];
  items.forEach((item, index) => {
    const mount = readObject(scope.sink, item, itemPath(fields.at('mounts'), index), MOUNT_SHAPE);
    const volumeNode = mount === undefined ? undefined : required(scope.sink, mount, 'volume');
    const volume = volumeNode === undefined || mount === undefined ? undefined : readAcName(scope, volumeNode, mount.at('volume'));
    const pathNode = mount === undefined ? undefined : required(scope.sink, mount, 'path');
    const text = pathNode === undefined || mount === undefined ? undefined : readString(scope.sink, pathNode, mount.at('path'));
    const result = text === undefined ? undefined : normaliseAbsolutePath(text);
    if (mount === undefined || volume === undefined || result === undefined || volumeNode === undefined || pathNode === undefined) return;
    if ('problem' in result) return scope.sink.error(pathNode.pos, mount.at('path'), result.problem);
    if (!volumes.has(volume)) return scope.sink.error(volumeNode.pos, mount.at('volume'), `volume "${volume}" is not declared in volumes`);
    if (mounts.some((m) => m.mountPath === result.path)) return scope.sink.error(pathNode.pos, mount.at('path'), `duplicate mount path "${result.path}"`);
    const readOnly = volumes.get(volume) === true || mountPoints.get(result.path) === true;
    mounts.push({ name: volume as VolumeName, mountPath: result.path as AbsolutePath, readOnly });
  });
  return mounts;
}

function readMountPoints(scope: Scope, node: PodNode | undefined, path: string): Map<string, boolean> {
  const points = new Map<string, boolean>();
  (node === undefined ? [] : (readList(scope.sink, node, path, 64) ?? [])).forEach((item, index) => {
    const fields = readObject(scope.sink, item, itemPath(path, index), { fields: ['name', 'path', 'readOnly'] });
    if (fields === undefined) return;
    const nameNode = required(scope.sink, fields, 'name');
    if (nameNode !== undefined) readAcName(scope, nameNode, fields.at('name'));
    const pathNode = required(scope.sink, fields, 'path');
    const text = pathNode === undefined ? undefined : readString(scope.sink, pathNode, fields.at('path'));
    const result = text === undefined ? undefined : normaliseAbsolutePath(text);
    if (result !== undefined && 'problem' in result && pathNode !== undefined) scope.sink.error(pathNode.pos, fields.at('path'), result.problem);
    const readOnlyNode = fields.get('readOnly');
    const readOnly = readOnlyNode === undefined ? false : readBoolean(scope.sink, readOnlyNode, fields.at('readOnly'));
    if (result !== undefined && 'path' in result) points.set(result.path, readOnly === true);
  });
  return points;
}

function checkMountPointsSatisfied(scope: Scope, app: Fields | undefined, points: ReadonlyMap<string, boolean>, mounts: readonly VolumeMount[]): void {
  for (const path of points.keys()) {
    if (!mounts.some((mount) => mount.mountPath === path)) {
      scope.sink.error(app?.node.pos ?? { line: 0, column: 0 }, app?.at('mountPoints') ?? '', `mount point ${path} has no mount: add an entry to mounts (the pod must be reified)`);
    }
  }
}

/** Reads one `apps[]` entry. */
export function readAppcApp(scope: Scope, node: PodNode, path: string, volumes: VolumeTable): LocatedApp {
  const fields = readObject(scope.sink, node, path, APP_ENTRY_SHAPE);
  if (fields === undefined) return { path, namePos: node.pos };
  const before = scope.sink.errorCount;
  const nameNode = required(scope.sink, fields, 'name');
  const name = nameNode === undefined ? undefined : readAcName(scope, nameNode, fields.at('name'));
  const imageNode = required(scope.sink, fields, 'image');
  const image = imageNode === undefined ? undefined : readImage(scope, imageNode, fields.at('image'));
  const appNode = fields.get('app');
  const app = appNode === undefined ? undefined : readObject(scope.sink, appNode, fields.at('app'), APP_SHAPE);
  const readOnlyNode = fields.get('readOnlyRootFS');
  const readOnlyRootFilesystem = readOnlyNode === undefined ? false : (readBoolean(scope.sink, readOnlyNode, fields.at('readOnlyRootFS')) ?? false);
  readAcAnnotations(scope, fields, 'annotations');
  const spec = app === undefined ? {} : readAppObject(scope, app);
  const points = readMountPoints(scope, app?.get('mountPoints'), app?.at('mountPoints') ?? '');
  const volumeMounts = readMounts(scope, fields, volumes, points);
  checkMountPointsSatisfied(scope, app, points, volumeMounts);
  const located = { ...(name === undefined ? {} : { name }), namePos: nameNode?.pos ?? node.pos, path };
  if (scope.sink.errorCount !== before || name === undefined || image === undefined) return located;
  const isolation: AppIsolation = spec.isolation ?? { resources: {} };
  const container: ContainerSpec = {
    name: name as ContainerName,
    image,
    imagePullPolicy: 'IfNotPresent',
    ...(spec.command === undefined ? {} : { command: spec.command }),
    ...(app === undefined ? {} : { workingDir: spec.workingDir ?? ('/' as AbsolutePath) }),
    env: spec.env ?? [],
    ports: spec.ports ?? [],
    volumeMounts,
    resources: isolation.resources,
    security: {
      ...(spec.user === undefined ? {} : { user: spec.user }),
      ...(spec.group === undefined ? {} : { group: spec.group }),
      supplementalGroups: spec.supplementalGroups ?? [],
      runAsNonRoot: false,
      readOnlyRootFilesystem,
      noNewPrivileges: isolation.noNewPrivileges ?? false,
      capabilities: isolation.capabilities ?? effectiveCapabilities([], [], false),
      seccomp: isolation.seccomp ?? { kind: 'RuntimeDefault' },
      ...(isolation.oomScoreAdj === undefined ? {} : { oomScoreAdj: isolation.oomScoreAdj }),
    },
    eventHandlers: spec.eventHandlers ?? {},
  };
  return { ...located, spec: container };
}

interface AppObject {
  command?: string[];
  workingDir?: AbsolutePath;
  env?: EnvVar[];
  ports?: ContainerPort[];
  user?: IdentityRef;
  group?: IdentityRef;
  supplementalGroups?: number[];
  eventHandlers?: EventHandlers;
  isolation?: AppIsolation;
}

function readAppObject(scope: Scope, app: Fields): AppObject {
  const command = readExec(scope, required(scope.sink, app, 'exec', 'required field is missing: a pod\'s app replaces the image\'s, so it needs its own exec'), app.at('exec'));
  const user = readIdentity(scope, app, 'user');
  const group = readIdentity(scope, app, 'group');
  const gidsKey = app.get('supplementaryGIDs') !== undefined ? 'supplementaryGIDs' : 'supplementaryGids';
  if (app.get('supplementaryGIDs') !== undefined && app.get('supplementaryGids') !== undefined) {
    scope.sink.error(app.node.pos, app.at('supplementaryGids'), 'give supplementaryGIDs or its alias supplementaryGids, not both');
  }
  const gidsNode = app.get(gidsKey);
  const gids = gidsNode === undefined ? [] : (readList(scope.sink, gidsNode, app.at(gidsKey), 64) ?? []);
  const supplementalGroups = gids.map((gid, index) => readInteger(scope.sink, gid, itemPath(app.at(gidsKey), index), { min: 0, max: 2 ** 31 - 1 }) ?? 0);
  const workingNode = app.get('workingDirectory');
  const working = workingNode === undefined ? undefined : readString(scope.sink, workingNode, app.at('workingDirectory'));
  const workingResult = working === undefined ? undefined : normaliseAbsolutePath(working);
  if (workingResult !== undefined && 'problem' in workingResult && workingNode !== undefined) scope.sink.error(workingNode.pos, app.at('workingDirectory'), workingResult.problem);
  const portsNode = app.get('ports');
  const ports = (portsNode === undefined ? [] : (readList(scope.sink, portsNode, app.at('ports'), 64) ?? []))
    .flatMap((item, index) => readAppcPort(scope, item, itemPath(app.at('ports'), index)) ?? []);
  readFreeMap(scope, app, 'userAnnotations');
  readFreeMap(scope, app, 'userLabels');
  return {
    ...(command === undefined ? {} : { command }),
    ...(workingResult !== undefined && 'path' in workingResult ? { workingDir: workingResult.path as AbsolutePath } : {}),
    env: readEnvironment(scope, app.get('environment'), app.at('environment')),
    ports,
    ...(user === undefined ? {} : { user }),
    ...(group === undefined ? {} : { group }),
    supplementalGroups,
    eventHandlers: readEventHandlers(scope, app.get('eventHandlers'), app.at('eventHandlers')),
    isolation: readAppIsolators(scope, app.get('isolators'), app.at('isolators')),
  };
}
