/**
 * @module podfile/kube-resources — `resources.limits/requests` for cpu and memory only, with
 * Kubernetes' rules: positive quantities, requests ≤ limits, a request defaults to its limit;
 * plus a memory limit of at least 4 MiB (below that no runtime starts).
 */
import type { DiagnosticSink } from './diagnostics.js';
import { POD_LIMITS } from './limits.js';
import { RESOURCES_SHAPE } from './kube-shapes.js';
import type { PodNode } from './node.js';
import { childPath, describeNode } from './node.js';
import type { QuantityUnit } from './quantity.js';
import { formatBytes, parseQuantity } from './quantity.js';
import { expectMap, readObject } from './reader.js';
import type { ResourceRequirements } from './types.js';

const RESOURCE_UNITS: Readonly<Record<string, QuantityUnit>> = { cpu: 'millicores', memory: 'bytes' };

/** A quantity written as a string (`500m`) or a plain number (`0.5`, `1e9`). */
export function readQuantity(sink: DiagnosticSink, node: PodNode, path: string, unit: QuantityUnit): number | undefined {
  if (node.kind !== 'scalar' || !(typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'bigint')) {
    sink.error(node.pos, path, `expected a quantity (such as "500m" or "128Mi"), got ${describeNode(node)}`);
    return undefined;
  }
  const text = typeof node.value === 'string' ? node.value : String(node.value);
  const result = parseQuantity(text, unit);
  if ('problem' in result) {
    sink.error(node.pos, path, result.problem);
    return undefined;
  }
  return result.value;
}

type Amounts = Partial<Record<'cpu' | 'memory', { value: number; node: PodNode }>>;

function readAmounts(sink: DiagnosticSink, node: PodNode | undefined, path: string): Amounts {
  const amounts: Amounts = {};
  const map = node === undefined ? undefined : expectMap(sink, node, path);
  for (const entry of map?.entries ?? []) {
    const at = childPath(path, entry.key);
    const unit = RESOURCE_UNITS[entry.key];
    if ((entry.key !== 'cpu' && entry.key !== 'memory') || unit === undefined) {
      sink.error(entry.keyPos, at, `resource "${entry.key}" is not supported by rocklet v1: only cpu and memory`);
      continue;
    }
    const value = readQuantity(sink, entry.value, at, unit);
    if (value === undefined) continue;
    if (value <= 0) {
      sink.error(entry.value.pos, at, `must be greater than zero, got ${entry.value.kind === 'scalar' ? entry.value.source : '0'}`);
      continue;
    }
    amounts[entry.key] = { value, node: entry.value };
  }
  return amounts;
}

/** Reads a container's `resources` (absent = no limits). */
export function readKubeResources(sink: DiagnosticSink, node: PodNode | undefined, path: string): ResourceRequirements {
  if (node === undefined) return {};
  const fields = readObject(sink, node, path, RESOURCES_SHAPE);
  if (fields === undefined) return {};
  const limits = readAmounts(sink, fields.get('limits'), fields.at('limits'));
  const requests = readAmounts(sink, fields.get('requests'), fields.at('requests'));
  const memoryLimit = limits.memory;
  if (memoryLimit !== undefined && memoryLimit.value < POD_LIMITS.minMemoryLimitBytes) {
    sink.error(memoryLimit.node.pos, `${fields.at('limits')}.memory`, `must be at least 4Mi (${formatBytes(memoryLimit.value)} is too little to start a container)`);
  }
  for (const key of ['cpu', 'memory'] as const) {
    const limit = limits[key];
    const request = requests[key];
    if (limit !== undefined && request !== undefined && request.value > limit.value) {
      const shown = (n: PodNode): string => (n.kind === 'scalar' ? n.source : '?');
      sink.error(request.node.pos, `${fields.at('requests')}.${key}`, `request ${shown(request.node)} must not exceed the limit ${shown(limit.node)}`);
    }
  }
  const cpuRequest = requests.cpu?.value ?? limits.cpu?.value;
  const memoryRequest = requests.memory?.value ?? limits.memory?.value;
  return {
    ...(cpuRequest === undefined
      ? {}
      : { cpu: { requestMillicores: cpuRequest, ...(limits.cpu === undefined ? {} : { limitMillicores: limits.cpu.value }) } }),
    ...(memoryRequest === undefined
      ? {}
      : { memory: { requestBytes: memoryRequest, ...(limits.memory === undefined ? {} : { limitBytes: limits.memory.value }) } }),
  };
}
