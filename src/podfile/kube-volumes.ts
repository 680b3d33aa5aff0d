/**
 * @module podfile/kube-volumes — `spec.volumes`: each a DNS-1123 name (unique) and exactly one
 * of hostPath (absolute path without `..`; type "", Directory, DirectoryOrCreate, File or
 * FileOrCreate) and emptyDir (medium "" or Memory, optional sizeLimit). An emptyDir is mode
 * 0777 owned by root, as Kubernetes creates it (not appc's 0755). Which host paths are allowed
 * at all is the daemon's policy (formats.md §4 #22), not decided here.
 */
import { readProjectedVolume } from './kube-projected.js';
import { readDownwardApiVolume, readObjectVolume } from './kube-config-volumes.js';
import { EMPTY_DIR_SHAPE, HOST_PATH_SHAPE, VOLUME_SHAPE } from './kube-shapes.js';
import { readQuantity } from './kube-resources.js';
import { POD_LIMITS } from './limits.js';
import { dnsLabelProblem, normaliseAbsolutePath } from './names.js';
import type { PodNode, Position } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readEnum, readList, readNonEmptyString, readObject, readString, required } from './reader.js';
import type { Scope } from './scope.js';
import type { AbsolutePath, VolumeName, VolumeSource, VolumeSpec } from './types.js';

/** A hostPath volume with where it was written (for the guard in host-path-guard.ts). */
export interface LocatedHostPath {
  readonly path: string;
  readonly at: string;
  readonly pos: Position;
}

const HOST_PATH_TYPES_ACCEPTED = ['', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate'] as const;
const HOST_PATH_TYPES_REJECTED = ['Socket', 'CharDevice', 'BlockDevice'];

function readHostPath(scope: Scope, node: PodNode, path: string): VolumeSource | undefined {
  const fields = readObject(scope.sink, node, path, HOST_PATH_SHAPE);
  if (fields === undefined) return undefined;
  const pathNode = required(scope.sink, fields, 'path');
  const text = pathNode === undefined ? undefined : readNonEmptyString(scope.sink, pathNode, fields.at('path'));
  const normalised = text === undefined ? undefined : normaliseAbsolutePath(text);
  if (normalised !== undefined && 'problem' in normalised && pathNode !== undefined) scope.sink.error(pathNode.pos, fields.at('path'), normalised.problem);
  const typeNode = fields.get('type');
  let type: (typeof HOST_PATH_TYPES_ACCEPTED)[number] | undefined = '';
  if (typeNode !== undefined) {
    if (typeNode.kind === 'scalar' && typeof typeNode.value === 'string' && HOST_PATH_TYPES_REJECTED.includes(typeNode.value)) {
      scope.sink.error(typeNode.pos, fields.at('type'), `hostPath type ${typeNode.value} is not supported by rocklet v1 (supported: "", Directory, DirectoryOrCreate, File, FileOrCreate)`);
      type = undefined;
    } else type = readEnum(scope.sink, typeNode, fields.at('type'), HOST_PATH_TYPES_ACCEPTED);
  }
  if (normalised === undefined || 'problem' in normalised || type === undefined) return undefined;
  return { kind: 'hostPath', path: normalised.path as AbsolutePath, type, recursive: true };
}

function readEmptyDir(scope: Scope, node: PodNode, path: string): VolumeSource | undefined {
  const fields = readObject(scope.sink, node, path, EMPTY_DIR_SHAPE);
  if (fields === undefined) return undefined;
  const mediumNode = fields.get('medium');
  const medium = mediumNode === undefined ? '' : readEnum(scope.sink, mediumNode, fields.at('medium'), ['', 'Memory'] as const);
  const sizeNode = fields.get('sizeLimit');
  const size = sizeNode === undefined ? undefined : readQuantity(scope.sink, sizeNode, fields.at('sizeLimit'), 'bytes');
  if (size === 0 && sizeNode !== undefined) scope.sink.error(sizeNode.pos, fields.at('sizeLimit'), 'must be greater than zero');
  if (medium === undefined || (sizeNode !== undefined && !size)) return undefined;
  return {
    kind: 'emptyDir',
    medium: medium === 'Memory' ? 'Memory' : 'Disk',
    ...(size === undefined ? {} : { sizeLimitBytes: size }),
    mode: 0o777,
    uid: 0,
    gid: 0,
  };
}

const SOURCES = ['hostPath', 'emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected'] as const;

function readSource(scope: Scope, fields: Fields): VolumeSource | undefined {
  // `emptyDir: {}` is the usual spelling; a bare `emptyDir:` (null) means the same in Kubernetes.
  const given = SOURCES.filter((source) => fields.node.entries.some((entry) => entry.key === source));
  if (given.length > 1) {
    scope.sink.error(fields.node.pos, fields.path, `a volume has exactly one source, got ${given.join(' and ')}`);
    return undefined;
  }
  const [source] = given;
  if (source === undefined) {
    const hasRejectedSource = fields.node.entries.some((entry) => entry.key !== 'name' && !SOURCES.includes(entry.key as (typeof SOURCES)[number]));
    if (!hasRejectedSource) scope.sink.error(fields.node.pos, fields.path, `a volume needs a source: ${SOURCES.join(', ')}`);
    return undefined;
  }
  const entry = fields.node.entries.find((candidate) => candidate.key === source);
  const node = fields.get(source) ?? { kind: 'map' as const, entries: [], pos: entry?.value.pos ?? fields.node.pos };
  switch (source) {
    case 'hostPath':
      return readHostPath(scope, node, fields.at('hostPath'));
    case 'emptyDir':
      return readEmptyDir(scope, node, fields.at('emptyDir'));
    case 'configMap':
      return readObjectVolume(scope, node, fields.at('configMap'), 'ConfigMap');
    case 'secret':
      return readObjectVolume(scope, node, fields.at('secret'), 'Secret');
    case 'downwardAPI':
      return readDownwardApiVolume(scope, node, fields.at('downwardAPI'));
    case 'projected':
      return readProjectedVolume(scope, node, fields.at('projected'));
  }
}

/** Reads `spec.volumes`; also returns every declared name (valid or not) so mounts are not reported twice. */
export function readKubeVolumes(
  scope: Scope,
  node: PodNode | undefined,
  path: string,
): { volumes: VolumeSpec[]; names: Set<string>; hostPaths: Map<string, LocatedHostPath> } {
  const hostPaths = new Map<string, LocatedHostPath>();
  const items = node === undefined ? [] : (readList(scope.sink, node, path, POD_LIMITS.volumes) ?? []);
  const volumes: VolumeSpec[] = [];
  const names = new Map<string, string>();
  items.forEach((item, index) => {
    const at = itemPath(path, index);
    const fields = readObject(scope.sink, item, at, VOLUME_SHAPE);
    if (fields === undefined) return;
    const before = scope.sink.errorCount;
    const nameNode = required(scope.sink, fields, 'name');
    const name = nameNode === undefined ? undefined : readString(scope.sink, nameNode, fields.at('name'));
    if (name !== undefined && nameNode !== undefined) {
      const problem = dnsLabelProblem(name);
      if (problem !== undefined) scope.sink.error(nameNode.pos, fields.at('name'), problem);
      const first = names.get(name);
      if (first !== undefined) scope.sink.error(nameNode.pos, fields.at('name'), `duplicate volume name "${name}" (also ${first})`);
      names.set(name, at);
    }
    const source = readSource(scope, fields);
    if (name !== undefined && source !== undefined && scope.sink.errorCount === before) {
      volumes.push({ name: name as VolumeName, source });
      if (source.kind === 'hostPath') {
        hostPaths.set(name, { path: source.path, at: `${fields.at('hostPath')}.path`, pos: fields.get('hostPath')?.pos ?? fields.node.pos });
      }
    }
  });
  return { volumes, names: new Set(names.keys()), hostPaths };
}
