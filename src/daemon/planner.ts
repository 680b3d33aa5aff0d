/**
 * @module daemon/planner — desired state (admission verdicts) + actual state (units) → what to
 * do with each pod. Pure: the daemon and `rocklet plan` run the same function, so the plan
 * shows exactly what the daemon would do.
 *
 * - a pod whose admitted file has the hash its running units carry: `adopt` (nothing to do;
 *   this is how a restarted daemon takes over running pods without touching them);
 * - an admitted file whose pod does not run: `start`; one whose pod runs another hash:
 *   `update` (pull, stop the old version, start the new one);
 * - an invalid file whose last good version runs: `keep`;
 * - units no admitted file wants (file removed, renamed pod, nodeSelector no longer matching,
 *   lost a conflict): `stop`.
 */
import type { PodSpec } from '../podfile/index.js';
import type { FileVerdict } from './admission.js';
import type { ActualPod } from './actual.js';
import { isUnitUp } from './actual.js';
import type { PodFileKey } from './pod-dir.js';

export type PodAction =
  | { readonly kind: 'adopt'; readonly pod: string; readonly file: PodFileKey; readonly hash: string }
  | { readonly kind: 'start'; readonly pod: string; readonly file: PodFileKey; readonly hash: string; readonly reason: string }
  | { readonly kind: 'update'; readonly pod: string; readonly file: PodFileKey; readonly fromHash: string; readonly hash: string; readonly changes: readonly string[] }
  | { readonly kind: 'keep'; readonly pod: string; readonly file: PodFileKey; readonly reason: string }
  | { readonly kind: 'stop'; readonly pod: string; readonly file: PodFileKey | undefined; readonly reason: string };

/** Does carrying out `action` change anything? */
export function changesSomething(action: PodAction): boolean {
  return action.kind === 'start' || action.kind === 'update' || action.kind === 'stop';
}

/** Why no file wants pod `pod` any more, from the verdict of the file that had it. */
function stopReason(actual: ActualPod, verdicts: ReadonlyMap<PodFileKey, FileVerdict>): string {
  if (actual.file === undefined) return 'its units name no pod file';
  const verdict = verdicts.get(actual.file);
  if (verdict === undefined) return `${actual.file} was removed`;
  switch (verdict.kind) {
    case 'skipped':
      return `${actual.file}: ${verdict.reason}`;
    case 'rejected':
      return `${actual.file} was rejected: ${verdict.reason}`;
    case 'invalid':
      return `${actual.file} is invalid and its pod is not running: ${verdict.reason}`;
    case 'admitted':
      return `${actual.file} now defines pod "${verdict.pod}"`;
  }
}

/**
 * The action for pod `pod`. `applied` is the spec the running version was made from, when
 * the daemon recorded it (for the list of changed fields of an update).
 */
export function decidePod(
  pod: string,
  verdicts: ReadonlyMap<PodFileKey, FileVerdict>,
  actual: ActualPod | undefined,
  applied: PodSpec | undefined,
  desiredSpec?: PodSpec,
): PodAction | undefined {
  const wanted = [...verdicts.values()].find((v) => v.kind === 'admitted' && v.pod === pod);
  if (wanted?.kind === 'admitted') {
    const up = actual !== undefined && isUnitUp(actual.sandbox);
    if (!up) {
      const reason = actual?.sandbox === undefined ? 'not running' : `its sandbox unit is ${actual.sandbox.activeState}`;
      return { kind: 'start', pod, file: wanted.key, hash: wanted.hash, reason };
    }
    if (actual.lost === true) return { kind: 'start', pod, file: wanted.key, hash: wanted.hash, reason: 'its units run but the pod lost its lock holder' };
    if (actual.hash === wanted.hash) return { kind: 'adopt', pod, file: wanted.key, hash: wanted.hash };
    const changes = applied === undefined ? [] : specChanges(applied, desiredSpec ?? wanted.spec);
    return { kind: 'update', pod, file: wanted.key, fromHash: actual.hash ?? 'none', hash: wanted.hash, changes };
  }
  if (actual === undefined) return undefined;
  if (actual.file !== undefined) {
    const verdict = verdicts.get(actual.file);
    if (verdict?.kind === 'invalid' && isUnitUp(actual.sandbox)) {
      return { kind: 'keep', pod, file: actual.file, reason: `${actual.file} is invalid; the last good version keeps running` };
    }
  }
  return { kind: 'stop', pod, file: actual.file, reason: stopReason(actual, verdicts) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function named(list: readonly unknown[]): Map<string, unknown> | undefined {
  const map = new Map<string, unknown>();
  for (const item of list) {
    if (!isPlainObject(item) || typeof item.name !== 'string' || map.has(item.name)) return undefined;
    map.set(item.name, item);
  }
  return map;
}

function diff(before: unknown, after: unknown, at: string, depth: number, out: string[]): void {
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  if (depth > 0 && isPlainObject(before) && isPlainObject(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      diff(before[key], after[key], at === '' ? key : `${at}.${key}`, depth - 1, out);
    }
    return;
  }
  // Lists of named things (containers, volumes) are compared by name, as a user reads them.
  if (depth > 0 && Array.isArray(before) && Array.isArray(after)) {
    const a = named(before);
    const b = named(after);
    if (a !== undefined && b !== undefined) {
      for (const name of [...new Set([...a.keys(), ...b.keys()])]) {
        const where = `${at}[${name}]`;
        if (!a.has(name)) out.push(`${where} added`);
        else if (!b.has(name)) out.push(`${where} removed`);
        else diff(a.get(name), b.get(name), where, depth - 1, out);
      }
      return;
    }
  }
  out.push(at);
}

/** The fields that differ between two specs, e.g. `containers[web].image`, `restartPolicy`. */
export function specChanges(before: PodSpec, after: PodSpec): string[] {
  const out: string[] = [];
  diff(before, after, '', 3, out);
  return out;
}
