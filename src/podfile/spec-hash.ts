/**
 * @module podfile/spec-hash — the desired-state hash of a pod: `sha256:` + hex SHA-256 of the
 * canonical JSON (keys sorted, no whitespace) of `{schema, spec}` where `schema` is
 * {@link SPEC_HASH_SCHEMA} and `spec` is the normalised, defaulted PodSpec WITHOUT `labels`,
 * `annotations` and `nodeSelector`.
 *
 * Covered (a change restarts the pod): format, name, namespace, every container field
 * (image reference incl. tag and digest, pull policy, command, args, workingDir, env names and
 * values, ports, mounts, resources, security), volumes, restartPolicy, grace period,
 * hostNetwork, hostname, DNS, hostAliases, shareProcessNamespace, sysctls, and the settings
 * carried by `rocklet.io/` annotations (they are fields of the spec). Not covered: the file's
 * name and path, comments, key order, quoting and other spelling (the spec is normalised),
 * defaults written out or left implicit, labels and other annotations (no runtime effect) and
 * nodeSelector (it decides whether a pod runs here, not how). Bump the schema version when the
 * meaning of a PodSpec field changes.
 */
import { createHash } from 'node:crypto';
import type { PodSpec, SpecHash } from './types.js';

/** Versions the hashed form; part of every hash. */
export const SPEC_HASH_SCHEMA = 'rocklet.podspec/v1';

// Quoting a key with JSON.stringify costs more than the rest of the walk; a spec has few distinct
// keys (field names), so they are memoised, up to a bound so odd input cannot grow the map.
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 1024;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, quoted);
  }
  return quoted;
}

// Insertion sort with `>`: the order of Array#sort() without a comparator (UTF-16 code units), but
// much cheaper for the handful of keys of an object.
function sortKeys(keys: string[]): void {
  if (keys.length > 32) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] ?? '';
    let j = i - 1;
    for (; j >= 0 && (keys[j] ?? '') > key; j--) keys[j + 1] = keys[j] ?? '';
    keys[j + 1] = key;
  }
}

/** JSON with object keys sorted at every level and no whitespace; undefined members are left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : canonicalJson(item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  sortKeys(keys);
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    out += `${first ? '' : ','}${quoteKey(key)}:${canonicalJson(member)}`;
    first = false;
  }
  return `${out}}`;
}

/** The desired-state hash of a spec (see the module header for what it covers). */
export function specHash(spec: PodSpec): SpecHash {
  const { labels: _labels, annotations: _annotations, nodeSelector: _nodeSelector, ...behaviour } = spec;
  const digest = createHash('sha256').update(canonicalJson({ schema: SPEC_HASH_SCHEMA, spec: behaviour })).digest('hex');
  return `sha256:${digest}` as SpecHash;
}
