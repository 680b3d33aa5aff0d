/**
 * @module podfile/kube-projected — `projected` volumes: several ConfigMaps, Secrets and
 * downward-API items in one directory (`sources`, each with exactly one of `configMap {name,
 * items, optional}`, `secret {name, items, optional}`, `downwardAPI {items}`), `defaultMode`.
 * A file path may appear once across all sources (Kubernetes refuses conflicting paths too).
 * `serviceAccountToken` and `clusterTrustBundle` need a cluster and are refused naming what to
 * project instead (kube-shapes.ts).
 */
import { readObjectName, readOptional } from './kube-env.js';
import { DEFAULT_FILE_MODE, readDownwardItems, readKeyItems, readMode } from './kube-config-volumes.js';
import {
  CONFIG_MAP_PROJECTION_SHAPE, DOWNWARD_API_PROJECTION_SHAPE, PROJECTED_VOLUME_SHAPE, SECRET_PROJECTION_SHAPE, VOLUME_PROJECTION_SHAPE,
} from './kube-shapes.js';
import type { PodNode } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readList, readObject } from './reader.js';
import type { Scope } from './scope.js';
import type { ConfigObjectKind, ProjectedSource, VolumeSource } from './types.js';

const MAX_SOURCES = 64;
const KINDS = ['configMap', 'secret', 'downwardAPI'] as const;

function readObjectProjection(scope: Scope, node: PodNode, path: string, object: ConfigObjectKind, seen: Map<string, string>): ProjectedSource | undefined {
  const fields = readObject(scope.sink, node, path, object === 'ConfigMap' ? CONFIG_MAP_PROJECTION_SHAPE : SECRET_PROJECTION_SHAPE);
  if (fields === undefined) return undefined;
  const before = scope.sink.errorCount;
  const objectName = readObjectName(scope, fields, object);
  const itemsNode = fields.get('items');
  const items = itemsNode === undefined ? undefined : readKeyItems(scope, itemsNode, fields.at('items'), seen);
  const optional = readOptional(scope, fields);
  if (scope.sink.errorCount !== before || objectName === undefined || optional === undefined) return undefined;
  return { kind: 'object', object, objectName, ...(items === undefined ? {} : { items }), optional };
}

function readProjection(scope: Scope, fields: Fields, seen: Map<string, string>): ProjectedSource | undefined {
  const given = KINDS.filter((kind) => fields.node.entries.some((entry) => entry.key === kind));
  if (given.length !== 1) {
    // A cluster-only kind alone was reported by the shape already.
    if (given.length > 1 || fields.node.entries.length === 0) {
      scope.sink.error(fields.node.pos, fields.path, given.length > 1 ? `a projection has exactly one source, got ${given.join(' and ')}` : `a projection needs a source: ${KINDS.join(', ')}`);
    }
    return undefined;
  }
  const [kind] = given;
  const node = kind === undefined ? undefined : fields.get(kind);
  if (kind === undefined || node === undefined) return undefined;
  if (kind === 'downwardAPI') {
    const downward = readObject(scope.sink, node, fields.at(kind), DOWNWARD_API_PROJECTION_SHAPE);
    return downward === undefined ? undefined : { kind: 'downwardAPI', items: readDownwardItems(scope, downward, seen) };
  }
  return readObjectProjection(scope, node, fields.at(kind), kind === 'configMap' ? 'ConfigMap' : 'Secret', seen);
}

/** `projected: {sources: [...], defaultMode}`. */
export function readProjectedVolume(scope: Scope, node: PodNode, path: string): VolumeSource | undefined {
  const fields = readObject(scope.sink, node, path, PROJECTED_VOLUME_SHAPE);
  if (fields === undefined) return undefined;
  const before = scope.sink.errorCount;
  const sourcesNode = fields.get('sources');
  const items = sourcesNode === undefined ? [] : (readList(scope.sink, sourcesNode, fields.at('sources'), MAX_SOURCES) ?? []);
  const seen = new Map<string, string>();
  const sources: ProjectedSource[] = [];
  items.forEach((item, index) => {
    const at = itemPath(fields.at('sources'), index);
    const projection = readObject(scope.sink, item, at, VOLUME_PROJECTION_SHAPE);
    const source = projection === undefined ? undefined : readProjection(scope, projection, seen);
    if (source !== undefined) sources.push(source);
  });
  const defaultMode = readMode(scope, fields, 'defaultMode');
  if (scope.sink.errorCount !== before || defaultMode === undefined) return undefined;
  return { kind: 'projected', sources, defaultMode: defaultMode ?? DEFAULT_FILE_MODE };
}
