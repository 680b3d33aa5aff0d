/**
 * @module daemon/bundle — checking a provisioning bundle (one pod directory shipped to many
 * machines, each running the files its labels select) before it ships: `rocklet validate DIR`.
 *
 * Files are read as the daemon reads them (`PodFileCache`: same names, same parser) except for
 * the owner and mode rules, which concern the machine, not the checkout. Conflicts are found
 * with the daemon's own admission: any two valid files whose nodeSelectors could both match one
 * machine (no label key they want different values of) are admitted together on a machine with
 * exactly the labels both select; if admission rejects one, the bundle has a conflict that some
 * machine would hit (the same pod name, or a hostPort both claim).
 */
import type { PodSpec } from '../podfile/index.js';
import { admit } from './admission.js';
import type { Candidate } from './admission.js';
import type { MachineLabels } from './machine-labels.js';
import type { PodFileKey } from './pod-dir.js';
import { PodFileCache } from './source.js';

export interface BundleFile {
  readonly key: PodFileKey;
  /** The pod's name (also for many invalid files). */
  readonly pod: string | undefined;
  /** undefined when valid. */
  readonly error: string | undefined;
  readonly nodeSelector: Readonly<Record<string, string>>;
}

export interface BundleConflict {
  /** The file admission rejects … */
  readonly file: PodFileKey;
  /** … because this one has the name or port first (by file name, as admission orders). */
  readonly other: PodFileKey;
  readonly pod: string;
  readonly reason: string;
  /** The labels a machine needs to run both (empty: every machine). */
  readonly labels: MachineLabels;
}

export interface BundleReport {
  readonly dir: string;
  readonly files: readonly BundleFile[];
  readonly ignored: readonly { readonly name: string; readonly reason: string }[];
  readonly conflicts: readonly BundleConflict[];
}

/** The labels a machine needs to satisfy both selectors, or undefined when none can. */
export function jointSelector(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): Record<string, string> | undefined {
  for (const [key, value] of Object.entries(a)) if (Object.hasOwn(b, key) && b[key] !== value) return undefined;
  return { ...a, ...b };
}

type ValidCandidate = Candidate & { readonly outcome: { readonly ok: true; readonly spec: PodSpec } };

export async function checkBundle(dir: string, nodeName: string): Promise<BundleReport> {
  const ignored: { name: string; reason: string }[] = [];
  const cache = new PodFileCache(dir, nodeName, (name, reason) => ignored.push({ name, reason }), false);
  await cache.scan();
  // Every file counts as seen at once: conflicts then go by file name, as for a fresh machine.
  const candidates = cache.candidates().map((c) => ({ ...c, firstSeen: 0 })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const files: BundleFile[] = candidates.map((c) =>
    c.outcome.ok
      ? { key: c.key, pod: c.outcome.spec.name, error: undefined, nodeSelector: c.outcome.spec.nodeSelector }
      : { key: c.key, pod: c.outcome.podName, error: c.outcome.reason, nodeSelector: {} },
  );
  const valid = candidates.filter((c): c is ValidCandidate => c.outcome.ok);
  const conflicts: BundleConflict[] = [];
  for (const [i, a] of valid.entries()) {
    for (const b of valid.slice(i + 1)) {
      const labels = jointSelector(a.outcome.spec.nodeSelector, b.outcome.spec.nodeSelector);
      if (labels === undefined) continue;
      for (const verdict of admit([a, b], labels, new Map()).values()) {
        if (verdict.kind === 'rejected') conflicts.push({ file: verdict.key, other: verdict.other, pod: verdict.pod, reason: verdict.reason, labels });
      }
    }
  }
  return { dir, files, ignored, conflicts };
}
