/**
 * @module podfile/node-selector — whether a pod is meant for this machine: every key of
 * `spec.nodeSelector` must be among the machine's labels with the same value (Kubernetes'
 * semantics; an empty selector matches every machine).
 */
import type { PodSpec } from './types.js';

/** One selector entry the machine does not satisfy. */
export interface SelectorMismatch {
  readonly key: string;
  readonly wanted: string;
  /** The machine's value, or undefined when it lacks the label. */
  readonly actual?: string;
}

/** The selector entries `labels` do not satisfy, in key order (empty = the pod runs here). */
export function nodeSelectorMismatches(spec: Pick<PodSpec, 'nodeSelector'>, labels: Readonly<Record<string, string>>): SelectorMismatch[] {
  return Object.keys(spec.nodeSelector)
    .sort()
    .flatMap((key) => {
      const wanted = spec.nodeSelector[key] ?? '';
      const actual = Object.hasOwn(labels, key) ? labels[key] : undefined;
      return actual === wanted ? [] : [{ key, wanted, ...(actual === undefined ? {} : { actual }) }];
    });
}

/** True when the machine's labels satisfy the pod's nodeSelector. */
export function matchesNodeSelector(spec: Pick<PodSpec, 'nodeSelector'>, labels: Readonly<Record<string, string>>): boolean {
  return nodeSelectorMismatches(spec, labels).length === 0;
}
