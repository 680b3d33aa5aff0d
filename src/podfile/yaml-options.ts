/**
 * @module podfile/yaml-options — the one definition of how rocklet reads YAML, shared by the
 * full reader (yaml-source.ts) and the fast path (yaml-fast.ts) so both resolve every plain
 * scalar alike: YAML 1.1 as go-yaml v2 (Kubernetes) reads it, minus timestamps and sexagesimal
 * numbers, which go-yaml hands to JSON as strings.
 */
import type { ScalarTag, Tags } from 'yaml';
import type { Document } from 'yaml';
import type { ScalarValue } from './node.js';
import { yamlLib } from '../util/index.js';

// go-yaml v2 decodes these into interface{} as plain strings, so Kubernetes sees strings.
function kubernetesTags(tags: Tags): Tags {
  return tags.filter((tag) =>
    typeof tag === 'string'
      ? !['timestamp', 'intTime', 'floatTime'].includes(tag)
      : tag.tag !== 'tag:yaml.org,2002:timestamp' && (!('format' in tag) || tag.format !== 'TIME'),
  );
}

/** Options of `parseAllDocuments` for pod files. */
export const YAML_OPTIONS = {
  version: '1.1',
  customTags: kubernetesTags,
  uniqueKeys: false, // checked by the tree builders, with the key's name and both positions
  intAsBigInt: true,
  prettyErrors: false,
  strict: true,
  merge: true,
} as const;

interface PlainScalarRules {
  readonly reference: Document;
  readonly tags: readonly ScalarTag[];
}

let rules: PlainScalarRules | undefined;

// The schema and options exactly as the composer builds them for a document (Document.setSchema);
// built on first use, so that loading the layer does not load `yaml` (yaml-lib.ts).
function plainScalarRules(): PlainScalarRules {
  if (rules !== undefined) return rules;
  const reference = new (yamlLib().Document)(null, YAML_OPTIONS);
  const tags = reference.schema.tags.filter(
    (tag): tag is ScalarTag => tag.default === true && !('collection' in tag && tag.collection !== undefined) && tag.test !== undefined,
  );
  rules = { reference, tags };
  return rules;
}

/** Marks a plain scalar the fast path leaves to the full reader (a resolver complained or threw). */
export const UNRESOLVED = Symbol('unresolved');

/**
 * The value of an untagged plain scalar, found as the composer finds it (the first default tag
 * whose test matches, else a string), or {@link UNRESOLVED}. Merge keys (`<<`) are the
 * caller's business: this is the value rule, which never yields a merge.
 */
export function resolvePlainScalar(source: string): ScalarValue | typeof UNRESOLVED {
  const { reference, tags } = plainScalarRules();
  const { isScalar } = yamlLib();
  for (const tag of tags) {
    if (tag.test?.test(source) !== true) continue;
    let failed = false;
    let resolved: unknown;
    try {
      resolved = tag.resolve(source, () => (failed = true), reference.options);
    } catch {
      return UNRESOLVED; // the full reader reports it (TAG_RESOLVE_FAILED)
    }
    const value: unknown = isScalar(resolved) ? resolved.value : resolved;
    if (failed) return UNRESOLVED;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value;
    return UNRESOLVED;
  }
  return source;
}
