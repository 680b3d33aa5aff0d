/**
 * @module daemon/status — what `rocklet pods` shows: one status per pod file, derived from the
 * admission verdict, the daemon's own progress (pulling, starting, back-off) and the pod's
 * units; kept in `<run-dir>/daemon/status.json`, atomically replaced, so `rocklet pods` reads
 * it without talking to the daemon (and still works while the daemon is down).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, writeJsonAtomic } from '../util/index.js';
import type { FileVerdict } from './admission.js';
import type { ActualPod } from './actual.js';
import { isUnitUp } from './actual.js';
import type { ProbeSummary } from '../pod/index.js';
import type { ProbeLatenessStats } from './probes/lateness.js';

export const POD_FILE_STATES = ['Running', 'Starting', 'Pulling', 'Failed', 'Invalid', 'Rejected', 'Skipped', 'Stopped', 'Completed'] as const;
export type PodFileState = (typeof POD_FILE_STATES)[number];

export interface PodFileStatus {
  readonly file: string;
  readonly pod: string | undefined;
  readonly state: PodFileState;
  readonly reason: string | undefined;
  readonly uuid: string | undefined;
  readonly hash: string | undefined;
  /** Ready app containers / app containers (init containers not counted). */
  readonly ready: { readonly ready: number; readonly total: number } | undefined;
  readonly restarts: number;
  /** ms since the epoch: when the pod was started (or the state was entered). */
  readonly since: number;
  /** Probe state of the containers that have probes (`rocklet pods --wide`), e.g. `web=ready db=starting(startup 2/30)`. */
  readonly probes?: string;
}

export interface DaemonInfo {
  readonly pid: number;
  readonly startedAt: number;
  readonly updatedAt: number;
  /** The first full reconcile is done. */
  readonly ready: boolean;
  readonly podDir: string;
  /** process.memoryUsage() of the daemon when the file was written, in bytes. */
  readonly memory?: { readonly rss: number; readonly heapUsed: number; readonly heapTotal: number; readonly external: number };
  /** Probers running and how late probe runs started against their schedule. */
  readonly probes?: { readonly containers: number } & ProbeLatenessStats;
}

export interface StatusFile {
  readonly version: 1;
  readonly daemon: DaemonInfo;
  readonly files: readonly PodFileStatus[];
}

export const STATUS_FILE = path.join('daemon', 'status.json');

/** The daemon's own progress with a pod, which units cannot show. */
export type PodProgress =
  | { readonly phase: 'pulling'; readonly since: number }
  | { readonly phase: 'starting'; readonly since: number }
  | { readonly phase: 'failed'; readonly reason: string; readonly since: number; readonly retryAt: number | undefined };

/** What the pod's units say, for an admitted file's status. */
export interface UnitView {
  readonly actual: ActualPod | undefined;
  /** Names of the app containers (not init) the running version has. */
  readonly apps: readonly string[];
  /** Names of its init containers, in run order. */
  readonly inits: readonly string[];
  /** restartPolicy of the running version. */
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** Recorded exit codes by app (`rocklet app cleanup` writes them). */
  readonly exits: ReadonlyMap<string, number>;
  /** Probe summaries of the apps with probes: an active container counts as ready only when its probes say so. */
  readonly probes?: ReadonlyMap<string, ProbeSummary>;
}

/** State, reason, readiness and restarts of a pod from its units. */
export function stateFromUnits(view: UnitView): Pick<PodFileStatus, 'state' | 'reason' | 'ready' | 'restarts'> {
  const { actual } = view;
  const restarts = actual === undefined ? 0 : [...actual.apps.values()].reduce((sum, unit) => sum + (unit.nRestarts ?? 0), 0);
  if (actual === undefined || actual.sandbox === undefined) return { state: 'Stopped', reason: undefined, ready: undefined, restarts };
  if (!isUnitUp(actual.sandbox)) {
    const failed = actual.sandbox.activeState === 'failed';
    return { state: failed ? 'Failed' : 'Stopped', reason: failed ? `sandbox unit ${actual.sandbox.name} failed (${actual.sandbox.result ?? 'unknown'})` : undefined, ready: undefined, restarts };
  }
  const total = view.apps.length;
  const init = initProgress(view, actual);
  if (init !== undefined) return { ...init, ready: { ready: 0, total }, restarts };
  let ready = 0;
  const problems: string[] = [];
  let completed = 0;
  for (const app of view.apps) {
    const unit = actual.apps.get(app);
    if (unit !== undefined && unit.activeState === 'active') {
      const probed = view.probes?.get(app);
      if (probed === undefined || probed.ready) ready++;
      else if (probed.failing !== undefined) problems.push(`container ${app} is not ready: ${probed.failing.probe} probe ${probed.failing.count}/${probed.failing.threshold} failures: ${probed.failing.reason}`);
      continue;
    }
    const code = view.exits.get(app);
    if (unit !== undefined && unit.activeState === 'activating' && unit.subState === 'auto-restart') {
      problems.push(`container ${app} is restarting after exit code ${code ?? unit.execMainStatus ?? '?'}`);
    } else if (unit !== undefined && unit.activeState === 'activating') {
      problems.push(`container ${app} is starting`);
    } else if (code === 0) {
      completed++;
    } else if (code !== undefined) {
      problems.push(`container ${app} exited with code ${code}`);
    } else if (unit?.activeState === 'failed') {
      problems.push(`container ${app} failed (${unit.result ?? 'unknown'})`);
    } else {
      problems.push(`container ${app} is not running`);
    }
  }
  const readiness = { ready, total };
  if (total > 0 && completed === total && view.restartPolicy !== 'Always') return { state: 'Completed', reason: undefined, ready: readiness, restarts };
  const exitedForGood = problems.some((p) => p.includes('exited with code') || p.includes('failed ('));
  if (exitedForGood && ready === 0) return { state: 'Failed', reason: problems.join('; '), ready: readiness, restarts };
  const starting = ready === 0 && problems.some((p) => p.endsWith('is starting'));
  return { state: starting ? 'Starting' : 'Running', reason: problems.length === 0 ? undefined : problems.join('; '), ready: readiness, restarts };
}

/**
 * While the pod's init containers have not all succeeded (and no app container runs yet):
 * `Starting` with the init container at hand (kubelet's `Init:n/m`), `Failed` when one exited
 * non-zero under restartPolicy Never; under the other policies the daemon runs it again with
 * back-off (kubelet's `Init:CrashLoopBackOff`), so the pod is still `Starting`.
 */
function initProgress(view: UnitView, actual: ActualPod): Pick<PodFileStatus, 'state' | 'reason'> | undefined {
  if (view.inits.length === 0) return undefined;
  if (view.apps.some((app) => isUnitUp(actual.apps.get(app)) || view.exits.has(app))) return undefined;
  for (const [index, name] of view.inits.entries()) {
    const unit = actual.apps.get(name);
    const code = view.exits.get(name);
    const step = `${index + 1}/${view.inits.length}`;
    if (unit?.activeState === 'activating') return { state: 'Starting', reason: `init container ${name} (${step}) is running` };
    if (code === 0) continue;
    const failed = code !== undefined ? `exited with code ${code}` : unit?.activeState === 'failed' ? `failed (${unit.result ?? 'unknown'})` : undefined;
    if (failed === undefined) return { state: 'Starting', reason: `init container ${name} (${step}) has not run yet` };
    return { state: view.restartPolicy === 'Never' ? 'Failed' : 'Starting', reason: `init container ${name} (${step}) ${failed}` };
  }
  return undefined;
}

/** The status of a file whose verdict is not `admitted`. */
export function statusOfVerdict(verdict: Exclude<FileVerdict, { kind: 'admitted' }>, since: number, kept: ActualPod | undefined): PodFileStatus {
  const base = { file: verdict.key, pod: verdict.pod, uuid: undefined, hash: verdict.kind === 'invalid' ? undefined : verdict.hash, ready: undefined, restarts: 0, since };
  switch (verdict.kind) {
    case 'invalid':
      return {
        ...base,
        state: 'Invalid',
        pod: verdict.pod ?? kept?.pod,
        reason: kept === undefined ? verdict.reason : `${verdict.reason} (the last good version keeps running)`,
        uuid: kept?.uuid,
        hash: kept?.hash,
      };
    case 'skipped':
      return { ...base, state: 'Skipped', reason: verdict.reason };
    case 'rejected':
      return { ...base, state: 'Rejected', reason: verdict.reason };
  }
}

export async function writeStatusFile(runDir: string, status: StatusFile): Promise<void> {
  await writeJsonAtomic(path.join(runDir, STATUS_FILE), status, { mode: 0o644, durable: false });
}

/** The status file, or undefined when there is none (the daemon never ran since boot). */
export async function readStatusFile(runDir: string): Promise<StatusFile | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(runDir, STATUS_FILE), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const value = JSON.parse(text) as Partial<StatusFile>;
  if (value.version !== 1 || value.daemon === undefined || !Array.isArray(value.files)) return undefined;
  return value as StatusFile;
}
