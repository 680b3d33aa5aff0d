/**
 * @module daemon/admission — which pod files may run here (DESIGN.md §6, issue 12 §2–3). Pure.
 *
 * Each file gets one verdict: `invalid` (refused or failed validation), `skipped` (its
 * nodeSelector does not match this machine), `rejected` (its pod name or a hostPort is
 * already another file's) or `admitted`. "The file that had the pod first keeps it": files
 * that own a running pod are considered first, then the others in the order the daemon first
 * saw them (then by name, so the outcome never depends on directory order). An invalid file
 * that owns a running pod keeps that pod's name and ports reserved: its last good version
 * keeps running, so no other file may take them.
 */
import type { PodConfig, PodSpec, SpecHash } from '../podfile/index.js';
import { nodeSelectorMismatches } from '../podfile/index.js';
import type { MachineLabels } from './machine-labels.js';
import type { PodFileKey } from './pod-dir.js';

/** A file as the source last read it. */
export interface Candidate {
  readonly key: PodFileKey;
  /** When the daemon first saw this file (ms); earlier wins a conflict. */
  readonly firstSeen: number;
  readonly outcome:
    | { readonly ok: true; readonly spec: PodSpec; readonly hash: SpecHash; readonly config?: PodConfig }
    | { readonly ok: false; readonly reason: string; readonly podName?: string };
}

/** Who runs a pod now: its owner file and (when known) the spec it runs. */
export interface PodOwner {
  readonly file: PodFileKey;
  readonly spec?: PodSpec;
}

export type FileVerdict =
  | { readonly kind: 'invalid'; readonly key: PodFileKey; readonly reason: string; readonly pod?: string }
  | { readonly kind: 'skipped'; readonly key: PodFileKey; readonly pod: string; readonly hash: SpecHash; readonly reason: string }
  | { readonly kind: 'rejected'; readonly key: PodFileKey; readonly pod: string; readonly hash: SpecHash; readonly reason: string; readonly other: PodFileKey }
  | { readonly kind: 'admitted'; readonly key: PodFileKey; readonly pod: string; readonly spec: PodSpec; readonly hash: SpecHash; readonly config?: PodConfig };

/** Whether two verdicts say the same (an admitted spec is identified by its hash). */
export function sameVerdict(a: FileVerdict | undefined, b: FileVerdict | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind || a.key !== b.key || a.pod !== b.pod) return false;
  switch (a.kind) {
    case 'invalid':
      return a.reason === (b as typeof a).reason;
    case 'skipped':
      return a.hash === (b as typeof a).hash && a.reason === (b as typeof a).reason;
    case 'rejected':
      return a.hash === (b as typeof a).hash && a.reason === (b as typeof a).reason && a.other === (b as typeof a).other;
    case 'admitted':
      return a.hash === (b as typeof a).hash;
  }
}

interface HostPortClaim {
  readonly protocol: string;
  readonly port: number;
  /** undefined: every address. */
  readonly ip: string | undefined;
  readonly pod: string;
  readonly file: PodFileKey;
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::']);

/** The host ports a spec publishes. */
export function hostPortsOf(spec: PodSpec, file: PodFileKey): HostPortClaim[] {
  return [...spec.initContainers, ...spec.containers].flatMap((container) =>
    container.ports.flatMap((port) =>
      port.hostPort === undefined
        ? []
        : [{ protocol: port.protocol, port: port.hostPort, ip: port.hostIP === undefined || ANY_ADDRESS.has(port.hostIP) ? undefined : port.hostIP, pod: spec.name, file }],
    ),
  );
}

function clash(a: HostPortClaim, b: HostPortClaim): boolean {
  return a.protocol === b.protocol && a.port === b.port && (a.ip === undefined || b.ip === undefined || a.ip === b.ip);
}

function describePort(claim: HostPortClaim): string {
  return `${claim.ip === undefined ? '' : `${claim.ip}:`}${claim.port}/${claim.protocol}`;
}

/** Verdicts for every candidate (see the module doc). */
export function admit(candidates: readonly Candidate[], labels: MachineLabels, owners: ReadonlyMap<string, PodOwner>): Map<PodFileKey, FileVerdict> {
  const verdicts = new Map<PodFileKey, FileVerdict>();
  const podsTaken = new Map<string, PodFileKey>();
  const portsTaken: HostPortClaim[] = [];
  const ownsRunning = (key: PodFileKey, pod: string): boolean => owners.get(pod)?.file === key;

  for (const candidate of candidates) {
    if (candidate.outcome.ok) continue;
    const { reason, podName } = candidate.outcome;
    verdicts.set(candidate.key, { kind: 'invalid', key: candidate.key, reason, ...(podName === undefined ? {} : { pod: podName }) });
    // The last good version keeps running: keep its name and ports for it.
    for (const [pod, owner] of owners) {
      if (owner.file !== candidate.key) continue;
      podsTaken.set(pod, candidate.key);
      if (owner.spec !== undefined) portsTaken.push(...hostPortsOf(owner.spec, candidate.key));
    }
  }

  const valid = candidates.flatMap((c) => (c.outcome.ok ? [{ ...c, spec: c.outcome.spec, hash: c.outcome.hash, config: c.outcome.config }] : []));
  valid.sort(
    (a, b) =>
      Number(ownsRunning(b.key, b.spec.name)) - Number(ownsRunning(a.key, a.spec.name)) ||
      a.firstSeen - b.firstSeen ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  for (const { key, spec, hash, config } of valid) {
    const pod = spec.name;
    const mismatches = nodeSelectorMismatches(spec, labels);
    if (mismatches.length > 0) {
      const wanted = mismatches.map((m) => `${m.key}=${m.wanted}${m.actual === undefined ? ' (label not set)' : ` (machine has ${m.actual})`}`);
      verdicts.set(key, { kind: 'skipped', key, pod, hash, reason: `nodeSelector does not match this machine: ${wanted.join(', ')}` });
      continue;
    }
    const holder = podsTaken.get(pod);
    if (holder !== undefined) {
      verdicts.set(key, { kind: 'rejected', key, pod, hash, other: holder, reason: `pod name "${pod}" is already used by ${holder}` });
      continue;
    }
    const ports = hostPortsOf(spec, key);
    const taken = ports.flatMap((port) => portsTaken.filter((other) => clash(port, other)).map((other) => ({ port, other })))[0];
    if (taken !== undefined) {
      verdicts.set(key, {
        kind: 'rejected', key, pod, hash, other: taken.other.file,
        reason: `hostPort ${describePort(taken.port)} is already claimed by pod "${taken.other.pod}" (${taken.other.file})`,
      });
      continue;
    }
    podsTaken.set(pod, key);
    portsTaken.push(...ports);
    verdicts.set(key, { kind: 'admitted', key, pod, spec, hash, ...(config === undefined ? {} : { config }) });
  }
  return verdicts;
}
