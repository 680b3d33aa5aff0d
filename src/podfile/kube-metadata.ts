/**
 * @module podfile/kube-metadata — `metadata` of a Kubernetes Pod: name (a DNS-1123 label, so
 * it fits unit names and the hostname), namespace, labels and annotations with Kubernetes'
 * key and value syntax, and the `rocklet.io/` annotations.
 */
import type { RockletAnnotations } from './annotations.js';
import { readRockletAnnotations } from './annotations.js';
import { labelKeyProblem, labelValueProblem, dnsLabelProblem } from './names.js';
import { childPath } from './node.js';
import type { Fields } from './reader.js';
import { readObject, readStringMap, readString, required } from './reader.js';
import { POD_LIMITS } from './limits.js';
import { METADATA_SHAPE } from './kube-shapes.js';
import type { Scope } from './scope.js';
import type { PodName, PodNamespace } from './types.js';

export interface KubeMetadata {
  readonly name?: PodName;
  readonly namespace: PodNamespace;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly rocklet: RockletAnnotations;
}

function readName(scope: Scope, fields: Fields, key: 'name' | 'namespace'): string | undefined {
  const node = key === 'name' ? required(scope.sink, fields, key) : fields.get(key);
  if (node === undefined) return undefined;
  const value = readString(scope.sink, node, fields.at(key));
  if (value === undefined) return undefined;
  const problem = dnsLabelProblem(value);
  if (problem !== undefined) scope.sink.error(node.pos, fields.at(key), problem);
  return problem === undefined ? value : undefined;
}

function readLabels(scope: Scope, fields: Fields): Record<string, string> {
  const node = fields.get('labels');
  if (node === undefined) return {};
  const path = fields.at('labels');
  const entries = readStringMap(scope.sink, node, path) ?? [];
  if (entries.length > POD_LIMITS.labels) scope.sink.error(node.pos, path, `too many labels: ${entries.length} (the limit is ${POD_LIMITS.labels})`);
  const labels: Record<string, string> = {};
  for (const { entry, value } of entries) {
    const keyProblem = labelKeyProblem(entry.key);
    if (keyProblem !== undefined) scope.sink.error(entry.keyPos, childPath(path, entry.key), keyProblem);
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) scope.sink.error(entry.value.pos, childPath(path, entry.key), valueProblem);
    labels[entry.key] = value;
  }
  return labels;
}

function readAnnotations(scope: Scope, fields: Fields): { annotations: Record<string, string>; rocklet: RockletAnnotations } {
  const node = fields.get('annotations');
  if (node === undefined) return { annotations: {}, rocklet: { insecureOptions: [] } };
  const path = fields.at('annotations');
  const entries = readStringMap(scope.sink, node, path) ?? [];
  const annotations: Record<string, string> = {};
  let size = 0;
  for (const { entry, value } of entries) {
    const keyProblem = labelKeyProblem(entry.key);
    if (keyProblem !== undefined) scope.sink.error(entry.keyPos, childPath(path, entry.key), keyProblem);
    size += Buffer.byteLength(entry.key) + Buffer.byteLength(value);
    annotations[entry.key] = value;
  }
  if (size > POD_LIMITS.annotationBytes) {
    scope.sink.error(node.pos, path, `annotations are ${size} bytes in total (the limit is ${POD_LIMITS.annotationBytes}, 256 KiB)`);
  }
  return { annotations, rocklet: readRockletAnnotations(scope.sink, entries, path) };
}

/** Reads `metadata` (required) from the top-level fields. */
export function readKubeMetadata(scope: Scope, top: Fields): KubeMetadata {
  const node = required(scope.sink, top, 'metadata');
  const fields = node === undefined ? undefined : readObject(scope.sink, node, 'metadata', METADATA_SHAPE);
  if (fields === undefined) return { namespace: 'default' as PodNamespace, labels: {}, annotations: {}, rocklet: { insecureOptions: [] } };
  const name = readName(scope, fields, 'name');
  const namespace = readName(scope, fields, 'namespace') ?? 'default';
  return {
    ...(name === undefined ? {} : { name: name as PodName }),
    namespace: namespace as PodNamespace,
    labels: readLabels(scope, fields),
    ...readAnnotations(scope, fields),
  };
}
