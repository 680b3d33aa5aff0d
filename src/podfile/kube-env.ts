/**
 * @module podfile/kube-env — a container's `env` and `envFrom`: names valid in appc and every
 * Kubernetes version, unique; values are strings (a YAML `yes` is refused, formats.md §4 #17)
 * or one `valueFrom` source: `fieldRef` (downward API), `resourceFieldRef`, or a key of a
 * ConfigMap / Secret (`configMapKeyRef` / `secretKeyRef`, resolved when the pod is prepared,
 * see config-refs.ts). Each problem is reported once, at the field that has it.
 */
import { didYouMean } from './diagnostics.js';
import { ENV_FROM_SHAPE, ENV_SHAPE, FIELD_REF_SHAPE, OBJECT_KEY_REF_SHAPE, OBJECT_REF_SHAPE, RESOURCE_FIELD_REF_SHAPE, VALUE_FROM_SHAPE } from './kube-shapes.js';
import { readQuantity } from './kube-resources.js';
import { POD_LIMITS } from './limits.js';
import { configKeyProblem, dnsSubdomainProblem, envNameProblem } from './names.js';
import type { PodNode } from './node.js';
import { describeNode, itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readBoolean, readEnum, readList, readObject, readString, required } from './reader.js';
import type { Scope } from './scope.js';
import type { ConfigObjectKind, ContainerName, EnvFromSource, EnvVar, EnvVarName, FieldRef, ResourceFieldRef } from './types.js';
import { FIELD_PATHS, RESOURCE_FIELDS } from './types.js';

/** Field paths an env var may name (labels/annotations only with a key: `metadata.labels['app']`). */
const ENV_FIELD_PATHS = FIELD_PATHS.filter((path) => path !== 'metadata.labels' && path !== 'metadata.annotations');
const SUBSCRIPT = /^(metadata\.labels|metadata\.annotations)\['(.+)'\]$/;

/** Reads a `fieldRef`; `whole` allows `metadata.labels`/`metadata.annotations` without a key (downwardAPI volumes). */
export function readFieldRef(scope: Scope, node: PodNode, path: string, whole: boolean): FieldRef | undefined {
  const ref = readObject(scope.sink, node, path, FIELD_REF_SHAPE);
  if (ref === undefined) return undefined;
  const version = ref.get('apiVersion');
  if (version !== undefined) {
    const text = readString(scope.sink, version, ref.at('apiVersion'));
    if (text !== undefined && text !== 'v1') scope.sink.error(version.pos, ref.at('apiVersion'), 'must be "v1"');
  }
  const pathNode = required(scope.sink, ref, 'fieldPath');
  const fieldPath = pathNode === undefined ? undefined : readString(scope.sink, pathNode, ref.at('fieldPath'));
  if (fieldPath === undefined || pathNode === undefined) return undefined;
  const subscript = SUBSCRIPT.exec(fieldPath);
  if (subscript !== null) return { fieldPath: subscript[1] as FieldRef['fieldPath'], key: subscript[2] ?? '' };
  const allowed = whole ? FIELD_PATHS : ENV_FIELD_PATHS;
  const known = allowed.find((candidate) => candidate === fieldPath);
  if (known === undefined) {
    const hint = !whole && (fieldPath === 'metadata.labels' || fieldPath === 'metadata.annotations')
      ? `: in env name one key, e.g. ${fieldPath}['app'], or mount all of them with a downwardAPI volume`
      : ` (supported: ${allowed.join(', ')}${whole ? '' : ", metadata.labels['KEY'], metadata.annotations['KEY']"})${didYouMean(fieldPath, allowed)}`;
    scope.sink.error(pathNode.pos, ref.at('fieldPath'), `fieldPath "${fieldPath}" is not supported${hint}`);
  }
  return known === undefined ? undefined : { fieldPath: known };
}

/** Reads a `resourceFieldRef`; `container` is the default `containerName` (undefined: required, as in volumes). */
export function readResourceFieldRef(scope: Scope, node: PodNode, path: string, container: string | undefined): ResourceFieldRef | undefined {
  const ref = readObject(scope.sink, node, path, RESOURCE_FIELD_REF_SHAPE);
  if (ref === undefined) return undefined;
  const containerNode = container === undefined ? required(scope.sink, ref, 'containerName') : ref.get('containerName');
  const containerName = containerNode === undefined ? container : readString(scope.sink, containerNode, ref.at('containerName'));
  const resourceNode = required(scope.sink, ref, 'resource');
  const resource = resourceNode === undefined ? undefined : readEnum(scope.sink, resourceNode, ref.at('resource'), RESOURCE_FIELDS);
  const divisorNode = ref.get('divisor');
  const unit = resource?.endsWith('cpu') === true ? 'millicores' : 'bytes';
  const divisor = divisorNode === undefined ? (unit === 'millicores' ? 1000 : 1) : readQuantity(scope.sink, divisorNode, ref.at('divisor'), unit);
  if (divisor === 0 && divisorNode !== undefined) scope.sink.error(divisorNode.pos, ref.at('divisor'), 'must be greater than zero');
  if (containerName === undefined || resource === undefined || !divisor) return undefined;
  return { container: containerName as ContainerName, resource, divisor };
}

/** `name` of a configMap/secret reference (`configMapKeyRef`, `envFrom[].secretRef`, volumes). */
export function readObjectName(scope: Scope, fields: Fields, kind: ConfigObjectKind): string | undefined {
  const node = required(scope.sink, fields, 'name', `required field is missing: the name of the ${kind}`);
  const name = node === undefined ? undefined : readString(scope.sink, node, fields.at('name'));
  if (name === undefined || node === undefined) return undefined;
  const problem = dnsSubdomainProblem(name);
  if (problem !== undefined) scope.sink.error(node.pos, fields.at('name'), `${kind} name ${problem}`);
  return problem === undefined ? name : undefined;
}

export function readOptional(scope: Scope, fields: Fields): boolean | undefined {
  const node = fields.get('optional');
  return node === undefined ? false : readBoolean(scope.sink, node, fields.at('optional'));
}

function readObjectKeyRef(scope: Scope, node: PodNode, path: string, object: ConfigObjectKind, name: EnvVarName): EnvVar | undefined {
  const ref = readObject(scope.sink, node, path, OBJECT_KEY_REF_SHAPE);
  if (ref === undefined) return undefined;
  const objectName = readObjectName(scope, ref, object);
  const keyNode = required(scope.sink, ref, 'key');
  const key = keyNode === undefined ? undefined : readString(scope.sink, keyNode, ref.at('key'));
  if (key !== undefined && keyNode !== undefined) {
    const problem = configKeyProblem(key);
    if (problem !== undefined) scope.sink.error(keyNode.pos, ref.at('key'), problem);
  }
  const optional = readOptional(scope, ref);
  if (objectName === undefined || key === undefined || optional === undefined || configKeyProblem(key) !== undefined) return undefined;
  return { kind: 'objectKey', name, object, objectName, key, optional };
}

const SOURCES = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const;

function readValueFrom(scope: Scope, node: PodNode, path: string, name: EnvVarName | undefined, container: string | undefined): EnvVar | undefined {
  const valueFrom = readObject(scope.sink, node, path, VALUE_FROM_SHAPE);
  if (valueFrom === undefined) return undefined;
  const given = SOURCES.filter((source) => valueFrom.get(source) !== undefined);
  if (given.length !== 1) {
    const message = given.length === 0
      ? `valueFrom needs one source: ${SOURCES.join(', ')}`
      : `valueFrom has exactly one source, got ${given.join(' and ')}`;
    scope.sink.error(valueFrom.node.pos, path, message);
    return undefined;
  }
  const source = given[0] ?? 'fieldRef';
  const at = valueFrom.at(source);
  const sourceNode = valueFrom.get(source) as PodNode;
  switch (source) {
    case 'fieldRef': {
      const ref = readFieldRef(scope, sourceNode, at, false);
      return ref === undefined || name === undefined ? undefined : { kind: 'field', name, fieldPath: ref.fieldPath, ...(ref.key === undefined ? {} : { key: ref.key }) };
    }
    case 'resourceFieldRef': {
      const ref = readResourceFieldRef(scope, sourceNode, at, container ?? '');
      return ref === undefined || name === undefined ? undefined : { kind: 'resource', name, ref };
    }
    case 'configMapKeyRef':
    case 'secretKeyRef': {
      const variable = readObjectKeyRef(scope, sourceNode, at, source === 'configMapKeyRef' ? 'ConfigMap' : 'Secret', name ?? ('' as EnvVarName));
      return name === undefined ? undefined : variable;
    }
  }
}

function readEnvVar(scope: Scope, node: PodNode, path: string, container: string | undefined): EnvVar | undefined {
  const fields = readObject(scope.sink, node, path, ENV_SHAPE);
  if (fields === undefined) return undefined;
  const nameNode = required(scope.sink, fields, 'name');
  let name = nameNode === undefined ? undefined : readString(scope.sink, nameNode, fields.at('name'));
  if (name !== undefined && nameNode !== undefined) {
    const problem = envNameProblem(name);
    if (problem !== undefined) {
      scope.sink.error(nameNode.pos, fields.at('name'), problem);
      name = undefined;
    }
  }
  const valueNode = fields.get('value');
  const valueFromNode = fields.get('valueFrom');
  if (valueFromNode !== undefined) {
    if (valueNode !== undefined) {
      scope.sink.error(valueNode.pos, fields.at('value'), 'value and valueFrom cannot both be set');
      return undefined;
    }
    return readValueFrom(scope, valueFromNode, fields.at('valueFrom'), name as EnvVarName | undefined, container);
  }
  const value = valueNode === undefined ? '' : readString(scope.sink, valueNode, fields.at('value'));
  return name === undefined || value === undefined ? undefined : { kind: 'value', name: name as EnvVarName, value };
}

/** Reads `env` (absent = none); `container` is the container's name (resourceFieldRef's default). */
export function readKubeEnv(scope: Scope, node: PodNode | undefined, path: string, container?: string): EnvVar[] {
  if (node === undefined) return [];
  if (node.kind === 'map') {
    scope.sink.error(node.pos, path, `expected a list of {name, value}, got ${describeNode(node)}: write "- name: X" / "  value: ..." items`);
    return [];
  }
  const items = readList(scope.sink, node, path, POD_LIMITS.envPerContainer) ?? [];
  const env: EnvVar[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const variable = readEnvVar(scope, item, itemPath(path, index), container);
    if (variable === undefined) return;
    const first = seen.get(variable.name);
    if (first !== undefined) {
      scope.sink.error(item.pos, `${itemPath(path, index)}.name`, `duplicate environment variable "${variable.name}" (also ${itemPath(path, first)})`);
    }
    seen.set(variable.name, index);
    env.push(variable);
  });
  return env;
}

/** Reads `envFrom` (absent = none): each item one of configMapRef / secretRef, with an optional prefix. */
export function readKubeEnvFrom(scope: Scope, node: PodNode | undefined, path: string): EnvFromSource[] {
  if (node === undefined) return [];
  const items = readList(scope.sink, node, path, POD_LIMITS.envPerContainer) ?? [];
  const sources: EnvFromSource[] = [];
  items.forEach((item, index) => {
    const at = itemPath(path, index);
    const fields = readObject(scope.sink, item, at, ENV_FROM_SHAPE);
    if (fields === undefined) return;
    const configMap = fields.get('configMapRef');
    const secret = fields.get('secretRef');
    if ((configMap === undefined) === (secret === undefined)) {
      scope.sink.error(item.pos, at, configMap === undefined ? 'envFrom needs one source: configMapRef or secretRef' : 'envFrom has exactly one source: configMapRef or secretRef, not both');
      return;
    }
    const object: ConfigObjectKind = configMap === undefined ? 'Secret' : 'ConfigMap';
    const refAt = fields.at(configMap === undefined ? 'secretRef' : 'configMapRef');
    const ref = readObject(scope.sink, (configMap ?? secret) as PodNode, refAt, OBJECT_REF_SHAPE);
    if (ref === undefined) return;
    const objectName = readObjectName(scope, ref, object);
    const optional = readOptional(scope, ref);
    const prefixNode = fields.get('prefix');
    const prefix = prefixNode === undefined ? '' : readString(scope.sink, prefixNode, fields.at('prefix'));
    if (prefix !== undefined && prefix !== '' && prefixNode !== undefined && envNameProblem(prefix) !== undefined) {
      scope.sink.error(prefixNode.pos, fields.at('prefix'), `"${prefix}" cannot start an environment variable name (^[A-Za-z_][A-Za-z0-9_.-]*$)`);
      return;
    }
    if (objectName === undefined || optional === undefined || prefix === undefined) return;
    sources.push({ object, objectName, prefix, optional });
  });
  return sources;
}
