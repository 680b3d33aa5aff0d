/**
 * @module podfile/kube-objects — `kind: ConfigMap` and `kind: Secret` documents (beside a Pod in
 * its file, or in `<config-dir>/configmaps|secrets/`) → {@link ConfigObject}. As the API server
 * validates them: the name is a DNS-1123 subdomain, keys are file names (`[-._a-zA-Z0-9]`,
 * not `.`/`..`, ≤ 253) and unique across `data`/`binaryData` (`data`/`stringData` of a Secret
 * merge, stringData winning), `binaryData` and a Secret's `data` are strict base64, the total
 * is at most 1 MiB. Secret types that need a cluster (service-account tokens) are refused.
 * Every value is kept as base64 of its bytes.
 */
import { METADATA_SHAPE } from './kube-shapes.js';
import { configKeyProblem, dnsLabelProblem, dnsSubdomainProblem } from './names.js';
import type { MapNode, PodNode } from './node.js';
import { childPath } from './node.js';
import type { Fields, ObjectShape } from './reader.js';
import { expectMap, readBoolean, readObject, readString, required } from './reader.js';
import type { Scope } from './scope.js';
import type { ConfigObject, ConfigObjectKind, PodNamespace } from './types.js';

const MAX_OBJECT_BYTES = 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const CONFIG_MAP_SHAPE: ObjectShape = { fields: ['apiVersion', 'kind', 'metadata', 'data', 'binaryData', 'immutable'] };
const SECRET_SHAPE: ObjectShape = { fields: ['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'immutable'] };

/** Secret types that only make sense with an API server. */
const CLUSTER_SECRET_TYPES: Readonly<Record<string, string>> = {
  'kubernetes.io/service-account-token': 'service-account tokens are minted by a cluster; there is no API server to use one against',
  'bootstrap.kubernetes.io/token': 'bootstrap tokens join a cluster; there is none',
};

function readData(scope: Scope, fields: Fields, key: string, encoding: 'utf8' | 'base64', into: Map<string, { value: string; at: string }>): void {
  const node = fields.get(key);
  if (node === undefined) return;
  const map = expectMap(scope.sink, node, fields.at(key));
  if (map === undefined) return;
  for (const entry of map.entries) {
    const at = childPath(fields.at(key), entry.key);
    const problem = configKeyProblem(entry.key);
    if (problem !== undefined) {
      scope.sink.error(entry.keyPos, at, problem);
      continue;
    }
    const value = readString(scope.sink, entry.value, at);
    if (value === undefined) continue;
    let encoded = value;
    if (encoding === 'base64') {
      const compact = value.replace(/[\r\n]/g, '');
      if (!BASE64.test(compact)) {
        scope.sink.error(entry.value.pos, at, `not valid base64 (standard alphabet A-Z a-z 0-9 + /, padded with "="); put plain text under ${key === 'binaryData' ? fields.at('data') : fields.at('stringData')} instead, or encode it with "base64 -w0"`);
        continue;
      }
      encoded = compact;
    } else encoded = Buffer.from(value, 'utf8').toString('base64');
    const first = into.get(entry.key);
    if (first !== undefined && !(key === 'stringData' && first.at.startsWith(fields.at('data')))) {
      scope.sink.error(entry.keyPos, at, `duplicate key "${entry.key}" (also ${first.at})`);
      continue;
    }
    into.set(entry.key, { value: encoded, at });
  }
}

/** name (a DNS-1123 subdomain) and namespace of an object; labels and annotations are checked by shape only. */
function readObjectMetadata(scope: Scope, top: Fields, kind: ConfigObjectKind): { name?: string; namespace: PodNamespace } {
  const node = required(scope.sink, top, 'metadata');
  const fields = node === undefined ? undefined : readObject(scope.sink, node, 'metadata', METADATA_SHAPE);
  if (fields === undefined) return { namespace: 'default' as PodNamespace };
  const nameNode = required(scope.sink, fields, 'name');
  let name = nameNode === undefined ? undefined : readString(scope.sink, nameNode, 'metadata.name');
  const nameProblem = name === undefined ? undefined : dnsSubdomainProblem(name);
  if (nameProblem !== undefined && nameNode !== undefined) {
    scope.sink.error(nameNode.pos, 'metadata.name', `${kind} name ${nameProblem}`);
    name = undefined;
  }
  const namespaceNode = fields.get('namespace');
  const namespace = namespaceNode === undefined ? 'default' : readString(scope.sink, namespaceNode, 'metadata.namespace');
  const namespaceProblem = namespace === undefined ? undefined : dnsLabelProblem(namespace);
  if (namespaceProblem !== undefined && namespaceNode !== undefined) scope.sink.error(namespaceNode.pos, 'metadata.namespace', namespaceProblem);
  return { ...(name === undefined ? {} : { name }), namespace: (namespace ?? 'default') as PodNamespace };
}

/** Validates a ConfigMap or Secret document; the object, or undefined after recording every problem. */
export function parseConfigObject(scope: Scope, root: MapNode, kind: ConfigObjectKind): ConfigObject | undefined {
  const before = scope.sink.errorCount;
  const fields = readObject(scope.sink, root, '', kind === 'ConfigMap' ? CONFIG_MAP_SHAPE : SECRET_SHAPE);
  if (fields === undefined) return undefined;
  const version = required(scope.sink, fields, 'apiVersion');
  if (version !== undefined) {
    const text = readString(scope.sink, version, 'apiVersion');
    if (text !== undefined && text !== 'v1') scope.sink.error(version.pos, 'apiVersion', `a ${kind} is "apiVersion: v1", got "${text}"`);
  }
  const metadata = readObjectMetadata(scope, fields, kind);
  const immutableNode = fields.get('immutable');
  const immutable = immutableNode === undefined ? false : readBoolean(scope.sink, immutableNode, 'immutable');
  const data = new Map<string, { value: string; at: string }>();
  if (kind === 'ConfigMap') {
    readData(scope, fields, 'data', 'utf8', data);
    readData(scope, fields, 'binaryData', 'base64', data);
  } else {
    const typeNode = fields.get('type');
    const type = typeNode === undefined ? 'Opaque' : readString(scope.sink, typeNode, 'type');
    const refusal = type === undefined ? undefined : CLUSTER_SECRET_TYPES[type];
    if (refusal !== undefined && typeNode !== undefined) scope.sink.error(typeNode.pos, 'type', `Secret type ${type ?? ''} is not supported: ${refusal}; use type Opaque`);
    readData(scope, fields, 'data', 'base64', data);
    readData(scope, fields, 'stringData', 'utf8', data);
  }
  const bytes = [...data.values()].reduce((sum, { value }) => sum + Math.floor((value.length * 3) / 4), 0);
  if (bytes > MAX_OBJECT_BYTES) scope.sink.error(root.pos, '', `the ${kind} holds ${bytes} bytes (the limit is ${MAX_OBJECT_BYTES}, 1 MiB, as in Kubernetes)`);
  if (scope.sink.errorCount !== before || metadata.name === undefined || immutable === undefined) return undefined;
  return {
    kind, name: metadata.name, namespace: metadata.namespace, immutable,
    data: Object.fromEntries([...data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, { value }]) => [key, value])),
  };
}

/** The `kind` of a document when it is one of the config objects, else undefined. */
export function configObjectKindOf(root: PodNode): ConfigObjectKind | undefined {
  if (root.kind !== 'map') return undefined;
  const kind = root.entries.find((entry) => entry.key === 'kind')?.value;
  if (kind?.kind !== 'scalar') return undefined;
  return kind.value === 'ConfigMap' || kind.value === 'Secret' ? kind.value : undefined;
}
