/**
 * @module podfile/kube-env — a container's `env`: names valid in appc and every Kubernetes
 * version, unique; values are strings (a YAML `yes` is refused, formats.md §4 #17) or a
 * `valueFrom.fieldRef` to one of the fields the daemon computes.
 */
import { didYouMean } from './diagnostics.js';
import { ENV_SHAPE, FIELD_REF_SHAPE, VALUE_FROM_SHAPE } from './kube-shapes.js';
import { POD_LIMITS } from './limits.js';
import { envNameProblem } from './names.js';
import type { PodNode } from './node.js';
import { describeNode, itemPath } from './node.js';
import { readList, readObject, readString, required } from './reader.js';
import type { Scope } from './scope.js';
import type { EnvVar, EnvVarName, FieldPath } from './types.js';
import { FIELD_PATHS } from './types.js';

function readFieldRef(scope: Scope, node: PodNode, path: string): FieldPath | undefined {
  const valueFrom = readObject(scope.sink, node, path, VALUE_FROM_SHAPE);
  if (valueFrom === undefined) return undefined;
  const refNode = required(scope.sink, valueFrom, 'fieldRef', 'valueFrom needs fieldRef (the only source rocklet supports)');
  const ref = refNode === undefined ? undefined : readObject(scope.sink, refNode, valueFrom.at('fieldRef'), FIELD_REF_SHAPE);
  if (ref === undefined) return undefined;
  const version = ref.get('apiVersion');
  if (version !== undefined && readString(scope.sink, version, ref.at('apiVersion')) !== 'v1') {
    scope.sink.error(version.pos, ref.at('apiVersion'), 'must be "v1"');
  }
  const pathNode = required(scope.sink, ref, 'fieldPath');
  const fieldPath = pathNode === undefined ? undefined : readString(scope.sink, pathNode, ref.at('fieldPath'));
  if (fieldPath === undefined || pathNode === undefined) return undefined;
  const known = FIELD_PATHS.find((candidate) => candidate === fieldPath);
  if (known === undefined) {
    scope.sink.error(pathNode.pos, ref.at('fieldPath'), `fieldPath "${fieldPath}" is not supported by rocklet v1 (supported: ${FIELD_PATHS.join(', ')})${didYouMean(fieldPath, FIELD_PATHS)}`);
  }
  return known;
}

function readEnvVar(scope: Scope, node: PodNode, path: string): EnvVar | undefined {
  const fields = readObject(scope.sink, node, path, ENV_SHAPE);
  if (fields === undefined) return undefined;
  const nameNode = required(scope.sink, fields, 'name');
  const name = nameNode === undefined ? undefined : readString(scope.sink, nameNode, fields.at('name'));
  if (name !== undefined && nameNode !== undefined) {
    const problem = envNameProblem(name);
    if (problem !== undefined) scope.sink.error(nameNode.pos, fields.at('name'), problem);
  }
  const valueNode = fields.get('value');
  const value = valueNode === undefined ? '' : readString(scope.sink, valueNode, fields.at('value'));
  const valueFromNode = fields.get('valueFrom');
  if (valueFromNode !== undefined) {
    if (valueNode !== undefined) scope.sink.error(valueNode.pos, fields.at('value'), 'value and valueFrom cannot both be set');
    const fieldPath = readFieldRef(scope, valueFromNode, fields.at('valueFrom'));
    return name === undefined || fieldPath === undefined ? undefined : { kind: 'field', name: name as EnvVarName, fieldPath };
  }
  return name === undefined || value === undefined ? undefined : { kind: 'value', name: name as EnvVarName, value };
}

/** Reads `env` (absent = none). */
export function readKubeEnv(scope: Scope, node: PodNode | undefined, path: string): EnvVar[] {
  if (node === undefined) return [];
  if (node.kind === 'map') {
    scope.sink.error(node.pos, path, `expected a list of {name, value}, got ${describeNode(node)}: write "- name: X" / "  value: ..." items`);
    return [];
  }
  const items = readList(scope.sink, node, path, POD_LIMITS.envPerContainer) ?? [];
  const env: EnvVar[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const variable = readEnvVar(scope, item, itemPath(path, index));
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
