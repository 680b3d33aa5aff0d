/**
 * @module podfile/capabilities — Linux capability names and the effective-set arithmetic of
 * Kubernetes runtimes (containerd/CRI-O): start from the default 14 (appc's and Docker's
 * set), `drop: [ALL]` empties it, `add` then adds, individual drops remove last.
 */
import { DEFAULT_CAPABILITIES, LINUX_CAPABILITIES } from '../image/index.js';
import type { CapabilityName } from './types.js';

// The default set is appc's, so it lives with the image manifest's isolators.
export { DEFAULT_CAPABILITIES };

/** The OCI name of a capability, or undefined when Linux has none by that name. */
export function capabilityName(name: string): CapabilityName | undefined {
  return (LINUX_CAPABILITIES as readonly string[]).includes(name) ? (name as CapabilityName) : undefined;
}

/** Sorted, de-duplicated. */
export function sortCapabilities(names: Iterable<CapabilityName>): CapabilityName[] {
  return [...new Set(names)].sort();
}

/** (default ∪ add) − drop, where `dropAll` empties the default first (containerd's order). */
export function effectiveCapabilities(add: readonly CapabilityName[], drop: readonly CapabilityName[], dropAll: boolean): CapabilityName[] {
  const set = new Set<CapabilityName>(dropAll ? [] : (DEFAULT_CAPABILITIES as readonly string[] as CapabilityName[]));
  for (const name of add) set.add(name);
  for (const name of drop) set.delete(name);
  return sortCapabilities(set);
}
