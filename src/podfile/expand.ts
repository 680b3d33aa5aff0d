/**
 * @module podfile/expand — Kubernetes `$(VAR)` expansion (kubelet's
 * third_party/forked/golang/expansion): `$(NAME)` is replaced by the variable's value when
 * defined and left as written when not; `$$` is a literal `$`. Env values may use variables
 * defined earlier in the same container; command and args use the container's whole env (not
 * the image's). The runtime calls expandContainer when it knows the downward-API values;
 * appc pods are never expanded.
 */
import type { PodConfig } from './config-refs.js';
import { EMPTY_POD_CONFIG, configObject, configValue } from './config-refs.js';
import type { ConfigObjectKind, ContainerSpec, DownwardApiFile, FieldRef, KeyToPath, PodSpec, ResourceFieldRef, VolumeSpec } from './types.js';

/** Expands `$(NAME)` references in `input` using `lookup`. */
export function expandVariables(input: string, lookup: (name: string) => string | undefined): string {
  let output = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    output += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      output += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        output += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        output += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      output += `$${next ?? ''}`;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return output + input.slice(checkpoint);
}

/** The downward-API values only the daemon or runtime knows when a pod starts. */
export interface RuntimeFieldValues {
  readonly uid: string;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly podIP: string;
  /** This machine's capacity: what `limits.cpu` / `limits.memory` are without a limit (as kubelet's node allocatable). */
  readonly cpuMillicores?: number;
  readonly memoryBytes?: number;
}

/** One variable of a container's final environment; `secret` when its value came from a Secret. */
export interface ExpandedEnvVar {
  readonly name: string;
  readonly value: string;
  readonly secret?: true;
}

/**
 * A container's final environment and argv after expansion. A value that took a Secret's value
 * through `$(NAME)` is itself secret: an env var is marked, and command/args keep such
 * references as written (`$(NAME)`, safe to store and show) while `secretArgv` has them
 * expanded, for the pod's secrets file only.
 */
export interface ExpandedContainer {
  readonly env: readonly ExpandedEnvVar[];
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly secretArgv?: { readonly command?: readonly string[]; readonly args?: readonly string[] };
}

/** Kubernetes' fieldpath.FormatMap: `key="value"` lines, sorted by key. */
function formatMap(map: Readonly<Record<string, string>>): string {
  return Object.keys(map).sort().map((key) => `${key}=${JSON.stringify(map[key] ?? '')}`).join('\n');
}

/** The value of a downward-API field (labels/annotations: one key, or all of them formatted). */
export function fieldValue(spec: PodSpec, ref: FieldRef, values: RuntimeFieldValues): string {
  switch (ref.fieldPath) {
    case 'metadata.name':
      return spec.name;
    case 'metadata.namespace':
      return spec.namespace;
    case 'metadata.uid':
      return values.uid;
    case 'metadata.labels':
      return ref.key === undefined ? formatMap(spec.labels) : (spec.labels[ref.key] ?? '');
    case 'metadata.annotations':
      return ref.key === undefined ? formatMap(spec.annotations) : (spec.annotations[ref.key] ?? '');
    case 'spec.nodeName':
      return values.nodeName;
    case 'spec.serviceAccountName':
      return 'default';
    case 'status.hostIP':
    case 'status.hostIPs':
      return values.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return values.podIP;
  }
}

/** A `resourceFieldRef`'s value: the resource in base units divided by the divisor, rounded up (kubelet's rule). */
export function resourceValue(spec: PodSpec, ref: ResourceFieldRef, values: RuntimeFieldValues): string {
  const container = [...spec.initContainers, ...spec.containers].find((candidate) => candidate.name === ref.container);
  const { cpu, memory } = container?.resources ?? {};
  const capacityCpu = values.cpuMillicores ?? 0;
  const capacityMemory = values.memoryBytes ?? 0;
  let amount: number;
  switch (ref.resource) {
    case 'limits.cpu':
      amount = cpu?.limitMillicores ?? capacityCpu;
      break;
    case 'requests.cpu':
      amount = cpu?.requestMillicores ?? 0;
      break;
    case 'limits.memory':
      amount = memory?.limitBytes ?? capacityMemory;
      break;
    case 'requests.memory':
      amount = memory?.requestBytes ?? 0;
      break;
    case 'limits.ephemeral-storage':
    case 'requests.ephemeral-storage':
      amount = 0;
      break;
  }
  return String(Math.ceil(amount / ref.divisor));
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Resolves env as kubelet does: `envFrom` first (later sources win; keys that are no valid
 * variable name are skipped), then `env` in order (fieldRefs, resourceFieldRefs, object keys
 * from `config`, `$(VAR)` references to variables defined before), then expands command/args.
 */
export function expandContainer(spec: PodSpec, container: ContainerSpec, values: RuntimeFieldValues, config: PodConfig = EMPTY_POD_CONFIG): ExpandedContainer {
  const expand = spec.format === 'kubernetes';
  const defined = new Map<string, ExpandedEnvVar>();
  for (const source of container.envFrom ?? []) {
    const object = configObject(config, source.object, source.objectName);
    for (const [key, encoded] of Object.entries(object?.data ?? {})) {
      const name = `${source.prefix}${key}`;
      if (!ENV_NAME.test(name)) continue;
      defined.delete(name);
      const value = Buffer.from(encoded, 'base64').toString('utf8');
      defined.set(name, source.object === 'Secret' ? { name, value, secret: true } : { name, value });
    }
  }
  let tookSecret = false;
  const lookup = (name: string): string | undefined => {
    const found = defined.get(name);
    if (found?.secret === true) tookSecret = true;
    return found?.value;
  };
  const publicLookup = (name: string): string | undefined => {
    const found = defined.get(name);
    return found?.secret === true ? undefined : found?.value;
  };
  for (const variable of container.env) {
    let entry: ExpandedEnvVar | undefined;
    switch (variable.kind) {
      case 'value': {
        tookSecret = false;
        const value = expand ? expandVariables(variable.value, lookup) : variable.value;
        entry = tookSecret ? { name: variable.name, value, secret: true } : { name: variable.name, value };
        break;
      }
      case 'field':
        entry = { name: variable.name, value: fieldValue(spec, variable.key === undefined ? { fieldPath: variable.fieldPath } : { fieldPath: variable.fieldPath, key: variable.key }, values) };
        break;
      case 'resource':
        entry = { name: variable.name, value: resourceValue(spec, variable.ref, values) };
        break;
      case 'objectKey': {
        const bytes = configValue(config, variable.object, variable.objectName, variable.key);
        // An optional reference to a missing object or key leaves the variable unset (kubelet).
        if (bytes !== undefined) entry = variable.object === 'Secret' ? { name: variable.name, value: bytes.toString('utf8'), secret: true } : { name: variable.name, value: bytes.toString('utf8') };
        break;
      }
    }
    if (entry === undefined) continue;
    defined.delete(variable.name);
    defined.set(variable.name, entry);
  }
  const env = [...defined.values()];
  const argv = (list: readonly string[] | undefined, using: (name: string) => string | undefined): readonly string[] | undefined =>
    list === undefined || !expand ? list : list.map((item) => expandVariables(item, using));
  const lists = (command: readonly string[] | undefined, args: readonly string[] | undefined): { command?: readonly string[]; args?: readonly string[] } => ({
    ...(command === undefined ? {} : { command }),
    ...(args === undefined ? {} : { args }),
  });
  tookSecret = false;
  const full = lists(argv(container.command, lookup), argv(container.args, lookup));
  if (!tookSecret) return { env, ...full };
  return { env, ...lists(argv(container.command, publicLookup), argv(container.args, publicLookup)), secretArgv: full };
}

/** One file of a configMap, secret or downwardAPI volume. */
export interface VolumeFile {
  /** Relative, normalised, no `..`. */
  readonly path: string;
  readonly mode: number;
  readonly data: Buffer;
}

/**
 * The files of a configMap/secret volume (every key, or `items`; an optional missing object
 * gives none) or a downwardAPI volume; empty for other volumes.
 */
export function volumeFiles(spec: PodSpec, volume: VolumeSpec, config: PodConfig, values: RuntimeFieldValues): VolumeFile[] {
  const { source } = volume;
  if (source.kind === 'downwardAPI') return downwardFiles(spec, source.items, source.defaultMode, values);
  if (source.kind === 'object') return objectFiles(config, source, source.defaultMode);
  if (source.kind !== 'projected') return [];
  // Kubernetes' order: sources in order, each source's files; paths are unique across them (parser).
  return source.sources.flatMap((s) => (s.kind === 'downwardAPI' ? downwardFiles(spec, s.items, source.defaultMode, values) : objectFiles(config, s, source.defaultMode)));
}

function downwardFiles(spec: PodSpec, items: readonly DownwardApiFile[], defaultMode: number, values: RuntimeFieldValues): VolumeFile[] {
  return items.map((item) => {
    const text = item.fieldRef !== undefined ? fieldValue(spec, item.fieldRef, values) : item.resourceFieldRef === undefined ? '' : resourceValue(spec, item.resourceFieldRef, values);
    return { path: item.path, mode: item.mode ?? defaultMode, data: Buffer.from(text, 'utf8') };
  });
}

/** Every key of the object, or its `items` (an optional missing object, or key, gives none). */
function objectFiles(
  config: PodConfig,
  source: { readonly object: ConfigObjectKind; readonly objectName: string; readonly items?: readonly KeyToPath[] },
  defaultMode: number,
): VolumeFile[] {
  const object = configObject(config, source.object, source.objectName);
  if (object === undefined) return [];
  const items = source.items ?? Object.keys(object.data).map((key) => ({ key, path: key }));
  return items.flatMap((item) => {
    const encoded = object.data[item.key];
    if (encoded === undefined) return [];
    return [{ path: item.path, mode: ('mode' in item && item.mode !== undefined ? item.mode : defaultMode), data: Buffer.from(encoded, 'base64') }];
  });
}
