/**
 * @module daemon/file-status — each pod file's status for `rocklet pods`, from what the
 * reconciler knows: the file's verdict, the pod's units as last read, recorded exit codes, the
 * daemon's own progress (pulling, starting, failed with back-off) and crash-loop back-off.
 * Keeps only when each file entered its current state (the AGE of non-running files).
 */
import type { FileVerdict } from './admission.js';
import type { ActualPod } from './actual.js';
import { isUnitUp } from './actual.js';
import type { AppliedRecords } from './applied.js';
import type { CrashLoops } from './crash-loops.js';
import type { PodFileKey } from './pod-dir.js';
import type { PodFileStatus, PodProgress } from './status.js';
import type { ProbeSummary } from '../pod/index.js';
import { describeProbes } from './probes/probe-status.js';
import { stateFromUnits, statusOfVerdict } from './status.js';

/** What the reconciler knows, read-only. */
export interface StatusInputs {
  readonly verdicts: ReadonlyMap<PodFileKey, FileVerdict>;
  readonly actual: ReadonlyMap<string, ActualPod>;
  readonly exits: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly progress: ReadonlyMap<string, PodProgress>;
  readonly applied: AppliedRecords;
  readonly crashLoops: CrashLoops;
  /** Probe summaries per pod (apps with probes only). */
  readonly probes?: { summaries(pod: string): ReadonlyMap<string, ProbeSummary> | undefined };
}

export class StatusBoard {
  private readonly since = new Map<string, { state: string; at: number }>();

  /** Every file's status, in file name order. */
  statuses(inputs: StatusInputs): PodFileStatus[] {
    const out: PodFileStatus[] = [];
    for (const key of [...inputs.verdicts.keys()].sort()) {
      const verdict = inputs.verdicts.get(key);
      if (verdict === undefined) continue;
      const actual = verdict.pod === undefined ? undefined : inputs.actual.get(verdict.pod);
      if (verdict.kind !== 'admitted') {
        // The pod this file ran before it broke (its name may be unreadable or changed now).
        const kept = verdict.kind === 'invalid' ? [...inputs.actual.values()].find((pod) => pod.file === key && isUnitUp(pod.sandbox)) : undefined;
        out.push(statusOfVerdict(verdict, this.sinceOf(key, verdict.kind), kept));
        continue;
      }
      out.push(this.admittedStatus(inputs, verdict, actual));
    }
    return out;
  }

  private admittedStatus(inputs: StatusInputs, verdict: Extract<FileVerdict, { kind: 'admitted' }>, actual: ActualPod | undefined): PodFileStatus {
    const { spec } = verdict;
    const probes = inputs.probes?.summaries(verdict.pod);
    const units = stateFromUnits({
      actual,
      apps: spec.containers.map((c) => c.name as string),
      // Native sidecars keep running beside the apps: no step to wait for.
      inits: spec.initContainers.filter((c) => c.sidecar !== true).map((c) => c.name as string),
      restartPolicy: spec.restartPolicy,
      exits: inputs.exits.get(verdict.pod) ?? new Map<string, number>(),
      ...(probes === undefined ? {} : { probes }),
    });
    const progress = inputs.progress.get(verdict.pod);
    const probeText = probes === undefined || probes.size === 0 ? undefined : describeProbes(probes);
    const base = {
      file: verdict.key, pod: verdict.pod, uuid: actual?.uuid, hash: actual?.hash ?? verdict.hash, ready: units.ready, restarts: units.restarts,
      ...(probeText === undefined ? {} : { probes: probeText }),
    };
    if (progress?.phase === 'failed') return { ...base, state: 'Failed', reason: progress.reason, since: progress.since };
    if (progress?.phase === 'pulling') return { ...base, state: 'Pulling', reason: actual?.hash === undefined ? undefined : 'the running version keeps running meanwhile', since: progress.since };
    if (progress?.phase === 'starting') return { ...base, state: 'Starting', reason: undefined, since: progress.since };
    const applied = inputs.applied.get(verdict.pod);
    const since = units.state === 'Running' && applied !== undefined ? applied.startedAt : this.sinceOf(verdict.key, units.state);
    const loop = inputs.crashLoops.summary(verdict.pod);
    const backOff = loop.next === undefined ? undefined : `back-off: restarting container ${loop.next.app} in ${Math.ceil(loop.next.inMs / 1000)} s`;
    const reason = [units.reason, backOff].filter((r) => r !== undefined).join('; ');
    return { ...base, restarts: base.restarts + loop.restarts, state: units.state, reason: reason === '' ? undefined : reason, since };
  }

  private sinceOf(key: string, state: string): number {
    const seen = this.since.get(key);
    if (seen?.state === state) return seen.at;
    const now = Date.now();
    this.since.set(key, { state, at: now });
    return now;
  }
}
