/**
 * @module podfile/kube-config-volumes — `configMap`, `secret` and `downwardAPI` volumes: the
 * object's name (or the downward-API items), `items` (key → relative path without `..`, each
 * path once), `defaultMode` and per-item `mode` (0–0777; Kubernetes' default 0644), and
 * `optional`. Their content is resolved when the pod is prepared (config-refs.ts).
 */
import { readFieldRef, readObjectName, readOptional, readResourceFieldRef } from './kube-env.js';
import {
  CONFIG_MAP_VOLUME_SHAPE, DOWNWARD_API_FILE_SHAPE, DOWNWARD_API_VOLUME_SHAPE, KEY_TO_PATH_SHAPE, SECRET_VOLUME_SHAPE,
} from './kube-shapes.js';
import { configKeyProblem, dnsSubdomainProblem, volumeFilePathProblem } from './names.js';
import type { PodNode } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readInteger, readList, readObject, readString, required } from './reader.js';
import type { Scope } from './scope.js';
import type { ConfigObjectKind, DownwardApiFile, KeyToPath, VolumeSource } from './types.js';

/** Kubernetes' default file mode of configMap, secret and downwardAPI volumes. */
export const DEFAULT_FILE_MODE = 0o644;
const MAX_ITEMS = 1024;

/** A file mode field (0–0777): null when absent, undefined when invalid (reported). */
export function readMode(scope: Scope, fields: Fields, key: string): number | undefined | null {
  const node = fields.get(key);
  if (node === undefined) return null;
  return readInteger(scope.sink, node, fields.at(key), { min: 0, max: 0o777 });
}

/** Reads `path` of an item and records a duplicate. */
function readItemPath(scope: Scope, fields: Fields, seen: Map<string, string>): string | undefined {
  const node = required(scope.sink, fields, 'path');
  const value = node === undefined ? undefined : readString(scope.sink, node, fields.at('path'));
  if (value === undefined || node === undefined) return undefined;
  const problem = volumeFilePathProblem(value);
  if (problem !== undefined) {
    scope.sink.error(node.pos, fields.at('path'), problem);
    return undefined;
  }
  const normalised = value.split('/').filter((part) => part !== '' && part !== '.').join('/');
  const first = seen.get(normalised);
  if (first !== undefined) {
    scope.sink.error(node.pos, fields.at('path'), `duplicate path "${value}" (also ${first})`);
    return undefined;
  }
  seen.set(normalised, fields.at('path'));
  return normalised;
}

/** `items: [{key, path, mode}]`; `seen` holds the paths of the volume so far (projected volumes share it across sources). */
export function readKeyItems(scope: Scope, node: PodNode, path: string, seen = new Map<string, string>()): KeyToPath[] | undefined {
  const items = readList(scope.sink, node, path, MAX_ITEMS);
  if (items === undefined) return undefined;
  const before = scope.sink.errorCount;
  const result: KeyToPath[] = [];
  items.forEach((item, index) => {
    const fields = readObject(scope.sink, item, itemPath(path, index), KEY_TO_PATH_SHAPE);
    if (fields === undefined) return;
    const keyNode = required(scope.sink, fields, 'key');
    const key = keyNode === undefined ? undefined : readString(scope.sink, keyNode, fields.at('key'));
    if (key !== undefined && keyNode !== undefined) {
      const problem = configKeyProblem(key);
      if (problem !== undefined) scope.sink.error(keyNode.pos, fields.at('key'), problem);
    }
    const filePath = readItemPath(scope, fields, seen);
    const mode = readMode(scope, fields, 'mode');
    if (key !== undefined && filePath !== undefined && mode !== undefined) result.push({ key, path: filePath, ...(mode === null ? {} : { mode }) });
  });
  return scope.sink.errorCount === before ? result : undefined;
}

/** `configMap: {name, items, defaultMode, optional}` or `secret: {secretName, …}`. */
export function readObjectVolume(scope: Scope, node: PodNode, path: string, object: ConfigObjectKind): VolumeSource | undefined {
  const fields = readObject(scope.sink, node, path, object === 'ConfigMap' ? CONFIG_MAP_VOLUME_SHAPE : SECRET_VOLUME_SHAPE);
  if (fields === undefined) return undefined;
  const before = scope.sink.errorCount;
  let objectName: string | undefined;
  if (object === 'ConfigMap') objectName = readObjectName(scope, fields, object);
  else {
    const nameNode = required(scope.sink, fields, 'secretName', 'required field is missing: the name of the Secret');
    objectName = nameNode === undefined ? undefined : readString(scope.sink, nameNode, fields.at('secretName'));
    const problem = objectName === undefined ? undefined : dnsSubdomainProblem(objectName);
    if (problem !== undefined && nameNode !== undefined) scope.sink.error(nameNode.pos, fields.at('secretName'), `Secret name ${problem}`);
  }
  const itemsNode = fields.get('items');
  const items = itemsNode === undefined ? undefined : readKeyItems(scope, itemsNode, fields.at('items'));
  const defaultMode = readMode(scope, fields, 'defaultMode');
  const optional = readOptional(scope, fields);
  if (scope.sink.errorCount !== before || objectName === undefined || defaultMode === undefined || optional === undefined) return undefined;
  return {
    kind: 'object', object, objectName, ...(items === undefined ? {} : { items }), defaultMode: defaultMode ?? DEFAULT_FILE_MODE, optional,
  };
}

/** `downwardAPI: {items: [{path, fieldRef | resourceFieldRef, mode}], defaultMode}`. */
export function readDownwardApiVolume(scope: Scope, node: PodNode, path: string): VolumeSource | undefined {
  const fields = readObject(scope.sink, node, path, DOWNWARD_API_VOLUME_SHAPE);
  if (fields === undefined) return undefined;
  const before = scope.sink.errorCount;
  const files = readDownwardItems(scope, fields, new Map());
  const defaultMode = readMode(scope, fields, 'defaultMode');
  if (scope.sink.errorCount !== before || defaultMode === undefined) return undefined;
  return { kind: 'downwardAPI', items: files, defaultMode: defaultMode ?? DEFAULT_FILE_MODE };
}

/** The `items` of a downwardAPI volume or projection (errors reported; invalid items left out). */
export function readDownwardItems(scope: Scope, fields: Fields, seen: Map<string, string>): DownwardApiFile[] {
  const itemsNode = fields.get('items');
  const items = itemsNode === undefined ? [] : (readList(scope.sink, itemsNode, fields.at('items'), MAX_ITEMS) ?? []);
  const files: DownwardApiFile[] = [];
  items.forEach((item, index) => {
    const at = itemPath(fields.at('items'), index);
    const file = readObject(scope.sink, item, at, DOWNWARD_API_FILE_SHAPE);
    if (file === undefined) return;
    const filePath = readItemPath(scope, file, seen);
    const fieldNode = file.get('fieldRef');
    const resourceNode = file.get('resourceFieldRef');
    if ((fieldNode === undefined) === (resourceNode === undefined)) {
      scope.sink.error(item.pos, at, fieldNode === undefined ? 'an item needs fieldRef or resourceFieldRef' : 'an item has exactly one of fieldRef and resourceFieldRef');
      return;
    }
    const fieldRef = fieldNode === undefined ? undefined : readFieldRef(scope, fieldNode, file.at('fieldRef'), true);
    if (fieldRef !== undefined && fieldNode !== undefined && !fieldRef.fieldPath.startsWith('metadata.')) {
      scope.sink.error(fieldNode.pos, `${file.at('fieldRef')}.fieldPath`, `a downwardAPI volume holds metadata.* fields only (as in Kubernetes); use an env var for ${fieldRef.fieldPath}`);
      return;
    }
    const resourceFieldRef = resourceNode === undefined ? undefined : readResourceFieldRef(scope, resourceNode, file.at('resourceFieldRef'), undefined);
    const mode = readMode(scope, file, 'mode');
    if (filePath === undefined || mode === undefined || (fieldRef === undefined && resourceFieldRef === undefined)) return;
    files.push({
      path: filePath, ...(fieldRef === undefined ? {} : { fieldRef }), ...(resourceFieldRef === undefined ? {} : { resourceFieldRef }), ...(mode === null ? {} : { mode }),
    });
  });
  return files;
}
