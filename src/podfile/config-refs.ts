/**
 * @module podfile/config-refs — a pod's references to ConfigMaps and Secrets, bound to the
 * objects that exist: those written beside the pod in its file first, then the shared ones
 * (`<config-dir>/configmaps|secrets/`, found through a {@link ConfigLookup}). Pure.
 *
 * Binding decides whether the pod can run (a missing object or key that is not `optional` is a
 * problem naming it and where it is referenced) and the pod's *effective* hash: the spec hash
 * when the pod references nothing (so pods without references keep their hash), else a hash over
 * the spec hash and, per referenced object, the SHA-256 of its data — or only "immutable" for an
 * `immutable: true` object, whose later changes do not reach running pods, as in Kubernetes — or
 * "absent". A changed object thus changes the hash of exactly the pods that reference it.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './spec-hash.js';
import type { ConfigObject, ConfigObjectKind, PodSpec, SpecHash } from './types.js';

/** Finds a shared object by kind, namespace and name. */
export interface ConfigLookup {
  find(kind: ConfigObjectKind, namespace: string, name: string): ConfigObject | undefined;
  /** Files of that kind that were refused (named when an object is missing: it may be in one). */
  refused?(kind: ConfigObjectKind): readonly string[];
}

export const NO_SHARED_OBJECTS: ConfigLookup = { find: () => undefined };

/** One reference of a pod to an object (and, for key references and volume items, the keys). */
export interface ConfigRef {
  readonly kind: ConfigObjectKind;
  readonly name: string;
  readonly optional: boolean;
  /** Keys that must exist unless optional (`configMapKeyRef.key`, volume `items[].key`). */
  readonly keys: readonly string[];
  /** Where, in the words of the file (`spec.containers[0].env[1]`). */
  readonly where: string;
}

/** The objects a bound pod references that exist (what preparing it needs). */
export interface PodConfig {
  readonly objects: readonly ConfigObject[];
}

export const EMPTY_POD_CONFIG: PodConfig = { objects: [] };

export type BoundPod =
  | { readonly ok: true; readonly hash: SpecHash; readonly config: PodConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Every reference of the spec, in file order. */
export function podConfigRefs(spec: PodSpec): ConfigRef[] {
  const refs: ConfigRef[] = [];
  const containers = [
    ...spec.initContainers.map((container, index) => ({ container, at: `spec.initContainers[${index}]` })),
    ...spec.containers.map((container, index) => ({ container, at: `spec.containers[${index}]` })),
  ];
  for (const { container, at } of containers) {
    (container.envFrom ?? []).forEach((source, index) => {
      refs.push({ kind: source.object, name: source.objectName, optional: source.optional, keys: [], where: `${at}.envFrom[${index}]` });
    });
    container.env.forEach((variable, index) => {
      if (variable.kind !== 'objectKey') return;
      refs.push({ kind: variable.object, name: variable.objectName, optional: variable.optional, keys: [variable.key], where: `${at}.env[${index}]` });
    });
  }
  spec.volumes.forEach((volume, index) => {
    const { source } = volume;
    const objects = source.kind === 'object' ? [{ source, where: `spec.volumes[${index}]` }]
      : source.kind === 'projected' ? source.sources.flatMap((s, i) => (s.kind === 'object' ? [{ source: s, where: `spec.volumes[${index}].projected.sources[${i}]` }] : []))
        : [];
    for (const { source: object, where } of objects) {
      refs.push({ kind: object.object, name: object.objectName, optional: object.optional, keys: (object.items ?? []).map((item) => item.key), where });
    }
  });
  return refs;
}

// Admission binds every pod file at every readmit against the same object snapshot: hash each
// object's data once (bench/config-binding.mjs).
const dataHashes = new WeakMap<ConfigObject, string>();

function dataHash(object: ConfigObject): string {
  let hash = dataHashes.get(object);
  if (hash === undefined) {
    hash = createHash('sha256').update(canonicalJson(object.data)).digest('hex');
    dataHashes.set(object, hash);
  }
  return hash;
}

function dirOf(kind: ConfigObjectKind): string {
  return kind === 'Secret' ? 'secrets' : 'configmaps';
}

/**
 * Binds the spec's references (see the module header). `inline` are the objects of the pod's
 * own file; `shared` finds the others.
 */
export function bindPodConfig(spec: PodSpec, hash: SpecHash, inline: readonly ConfigObject[], shared: ConfigLookup): BoundPod {
  const refs = podConfigRefs(spec);
  if (refs.length === 0) return { ok: true, hash, config: EMPTY_POD_CONFIG };
  const problems: string[] = [];
  const found = new Map<string, ConfigObject | undefined>();
  for (const ref of refs) {
    const id = `${ref.kind}/${ref.name}`;
    if (!found.has(id)) {
      found.set(id, inline.find((object) => object.kind === ref.kind && object.name === ref.name && object.namespace === spec.namespace)
        ?? shared.find(ref.kind, spec.namespace, ref.name));
    }
    const object = found.get(id);
    if (ref.optional) continue;
    if (object === undefined) {
      const refused = shared.refused?.(ref.kind) ?? [];
      const also = refused.length === 0 ? '' : `; refused files that may hold it: ${refused.join('; ')}`;
      problems.push(`${ref.where}: ${ref.kind} "${ref.name}" does not exist: write it beside the pod in its file or in <config-dir>/${dirOf(ref.kind)}/, or mark the reference optional: true${also}`);
      continue;
    }
    const missing = ref.keys.filter((key) => !Object.hasOwn(object.data, key));
    if (missing.length > 0) {
      problems.push(`${ref.where}: ${ref.kind} "${ref.name}" has no key ${missing.map((key) => `"${key}"`).join(', ')} (it has: ${Object.keys(object.data).join(', ') || 'none'})`);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const states = [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, object]) => [id, object === undefined ? 'absent' : object.immutable ? 'immutable' : dataHash(object)]);
  const combined = createHash('sha256').update(canonicalJson({ spec: hash, objects: states })).digest('hex');
  return { ok: true, hash: `sha256:${combined}` as SpecHash, config: { objects: [...found.values()].filter((object): object is ConfigObject => object !== undefined) } };
}

/** The bytes of `key` of an object the pod's config holds, or undefined. */
export function configValue(config: PodConfig, kind: ConfigObjectKind, name: string, key: string): Buffer | undefined {
  const object = config.objects.find((candidate) => candidate.kind === kind && candidate.name === name);
  const value = object?.data[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64');
}

/** The object of the pod's config, or undefined. */
export function configObject(config: PodConfig, kind: ConfigObjectKind, name: string): ConfigObject | undefined {
  return config.objects.find((candidate) => candidate.kind === kind && candidate.name === name);
}
