/**
 * @module daemon/reconciler — the daemon's loop (DESIGN.md §1.3): level-triggered, keyed by pod
 * name, idempotent. Events (file changes, unit changes, timers) only mark pods dirty; a
 * reconcile reads the pod's units, takes the current admission verdicts and does what
 * `decidePod` says. Reconciling a pod that is as it should be changes nothing, so a periodic
 * full resync is always safe.
 *
 * Start and update follow "pull before touching anything" (DESIGN.md §1.4): the new version is
 * prepared (images fetched and verified, pod created) while the old one runs; only then is the
 * old one stopped (its grace period honoured) and the new one started, one pod at a time. A
 * failed pull shows `Failed` and is retried with back-off (10 s doubling to 5 min) without
 * touching what runs.
 */
import type { SystemdManager } from '../systemd/index.js';
import { causeChain, isRockletError } from '../util/index.js';
import type { FileVerdict, PodOwner } from './admission.js';
import { admit, sameVerdict } from './admission.js';
import type { ActualPod } from './actual.js';
import { podOfUnitName, readActualPods, readRestarts, withLiveness } from './actual.js';
import { PodUnitReads } from './pod-reads.js';
import type { PodActuator } from './actuator.js';
import type { AppliedRecords } from './applied.js';
import type { DaemonLog } from './log.js';
import type { MachineLabels } from './machine-labels.js';
import type { PodFileKey } from './pod-dir.js';
import type { PodAction } from './planner.js';
import { decidePod } from './planner.js';
import { PodContainers } from './pod-containers.js';
import { BACKOFF_FIRST_MS, StartBackoff } from './start-backoff.js';
import { KeyedQueue } from './queue.js';
import type { PodFileCache } from './source.js';
import { StatusBoard } from './file-status.js';
import type { DaemonProbes } from './probes/probe-manager.js';
import type { PodFileStatus, PodProgress } from './status.js';

export { BACKOFF_FIRST_MS, BACKOFF_MAX_MS } from './start-backoff.js';
/** Pods reconciled at the same time (D-Bus jobs and pulls of different pods overlap). */
const CONCURRENCY = 16;

export interface ReconcilerDeps {
  readonly files: PodFileCache;
  readonly manager: SystemdManager;
  readonly actuator: PodActuator;
  readonly applied: AppliedRecords;
  readonly log: DaemonLog;
  readonly dataDir: string;
  readonly labels: MachineLabels;
  /** Called whenever a status may have changed (the daemon writes the status file, coalesced). */
  readonly onStatusChange: () => void;
  readonly backoffFirstMs?: number;
  /** The pods' probes: told about every reconciled pod's units. */
  readonly probes?: DaemonProbes;
}

/** An error as one line: each message of its cause chain, then the first hint. */
function errorText(error: unknown): string {
  const chain = causeChain(error);
  const messages = chain.map((e) => (e instanceof Error ? e.message : String(e)));
  const hint = chain.find((e) => isRockletError(e) && e.hint !== undefined);
  return `${messages.join(': ')}${hint !== undefined && isRockletError(hint) ? ` (${hint.hint ?? ''})` : ''}`;
}

export class Reconciler {
  private verdicts = new Map<PodFileKey, FileVerdict>();
  private labels: MachineLabels;
  /** Each pod's units as last read, and when to read them again (pod-reads.ts). */
  private readonly reads: PodUnitReads;
  private readonly progress = new Map<string, PodProgress>();
  private readonly backoff: StartBackoff;
  private readonly board = new StatusBoard();
  /** Crash revival, sidecar ends and exit records of running pods (pod-containers.ts). */
  private readonly containers: PodContainers;
  private readonly queue: KeyedQueue;
  private stopped = false;

  constructor(private readonly deps: ReconcilerDeps) {
    this.labels = deps.labels;
    this.reads = new PodUnitReads(deps.manager);
    this.containers = new PodContainers({
      manager: deps.manager, actuator: deps.actuator, log: deps.log, dataDir: deps.dataDir,
      backoffFirstMs: deps.backoffFirstMs ?? BACKOFF_FIRST_MS, enqueue: (pod) => this.enqueue(pod),
    });
    this.backoff = new StartBackoff(deps.backoffFirstMs ?? BACKOFF_FIRST_MS, (pod) => this.enqueue(pod));
    this.queue = new KeyedQueue((pod) => this.reconcilePod(pod), CONCURRENCY, (pod, error) => {
      deps.log.error({ pod, action: 'reconcile', reason: errorText(error), code: isRockletError(error) ? error.code : undefined }, `reconcile of pod ${pod} failed`);
    });
  }

  /** Stops scheduling (timers, retries); reconciles under way finish. */
  stop(): void {
    this.stopped = true;
    this.backoff.stop();
    this.containers.stop();
  }

  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Marks `pod` dirty. */
  enqueue(pod: string): void {
    if (this.stopped) return;
    this.reads.queuedForOther(pod);
    this.queue.add(pod);
  }

  /** One of the pod's units changed (a D-Bus signal): its next reconcile reads them afresh unless a read began after it. */
  unitChanged(pod: string): void {
    this.reads.signalled(pod);
    if (!this.stopped) this.queue.add(pod);
  }

  /** New machine labels: every file's verdict may change. */
  setLabels(labels: MachineLabels): void {
    this.labels = labels;
    this.readmit();
  }

  /** Files whose content changed (or `all` after a scan): recompute verdicts, enqueue what they touch. */
  readmit(): void {
    const owners = new Map<string, PodOwner>();
    for (const [pod, actual] of this.reads.all) {
      if (actual.file === undefined) continue;
      const applied = this.deps.applied.get(pod);
      owners.set(pod, { file: actual.file, ...(applied?.hash === actual.hash && applied !== undefined ? { spec: applied.spec } : {}) });
    }
    const next = admit(this.deps.files.candidates(), this.labels, owners);
    const touched = new Set<string>();
    for (const key of new Set([...this.verdicts.keys(), ...next.keys()])) {
      const before = this.verdicts.get(key);
      const after = next.get(key);
      if (sameVerdict(before, after)) continue;
      for (const verdict of [before, after]) if (verdict?.pod !== undefined) touched.add(verdict.pod);
      if (after !== undefined && after.kind !== 'admitted') {
        this.deps.log.info({ file: key, pod: after.pod, action: after.kind, reason: after.reason }, `${key}: ${after.kind}: ${after.reason}`);
      }
    }
    this.verdicts = next;
    for (const pod of touched) this.enqueue(pod);
    this.deps.onStatusChange();
  }

  /**
   * Full resync (start-up, SIGHUP): every pod with a file or with units is reconciled. At
   * start-up (`reuseRead`: nothing is in flight yet) each pod's first reconcile uses this read
   * instead of reading its units again, half the D-Bus calls of a daemon start with many pods;
   * a unit event drops the pod's entry, and a change that raced the read itself is caught by
   * the next periodic resync, which compares unit states.
   */
  async resync(options: { readonly reuseRead?: boolean } = {}): Promise<void> {
    const actual = await readActualPods(this.deps.manager);
    for (const [pod, entry] of actual) this.reads.keep(pod, entry);
    if (options.reuseRead === true) {
      this.reads.clearHandOvers();
      for (const [pod, entry] of actual) this.reads.handOver(pod, entry);
    }
    this.readmit();
    if (options.reuseRead === true) {
      for (const verdict of this.verdicts.values()) if (verdict.pod !== undefined && !actual.has(verdict.pod)) this.reads.handOver(verdict.pod, undefined);
    }
    for (const pod of actual.keys()) this.enqueue(pod);
    for (const verdict of this.verdicts.values()) if (verdict.pod !== undefined) this.enqueue(verdict.pod);
  }

  /**
   * Reads the restart counts the start-up resync left unread (active app units; see
   * actual.ts), after READY: `rocklet pods` shows RESTARTS 0 for them until then. A pod
   * reconciled meanwhile has a fresher read and is left as it is.
   */
  async fillRestarts(): Promise<void> {
    for (const [pod, actual] of [...this.reads.all]) {
      const filled = await readRestarts(this.deps.manager, actual);
      if (filled !== undefined && this.reads.get(pod) === actual) this.reads.keep(pod, filled);
    }
    this.deps.onStatusChange();
  }

  /**
   * The periodic safety net, cheap enough to run every minute with 1,000 pods: one unit listing
   * (no per-unit reads) compared with what the last reconcile of each pod saw; only pods whose
   * units differ (an event was missed), and admitted pods without units, are reconciled.
   */
  async quickResync(): Promise<void> {
    const listed = await this.deps.manager.listUnitsByPatterns([], ['rocklet-*.service']);
    const seen = new Map<string, Map<string, string>>();
    for (const entry of listed) {
      const owner = podOfUnitName(entry.name);
      if (owner === undefined) continue;
      const units = seen.get(owner.pod) ?? new Map<string, string>();
      units.set(entry.name, `${entry.activeState}/${entry.subState}`);
      seen.set(owner.pod, units);
    }
    for (const pod of new Set([...seen.keys(), ...this.reads.all.keys()])) {
      if (!sameUnitStates(this.reads.get(pod), seen.get(pod))) this.enqueue(pod);
    }
    for (const verdict of this.verdicts.values()) if (verdict.kind === 'admitted' && !seen.has(verdict.pod)) this.enqueue(verdict.pod);
    this.readmit();
  }

  /** Ends every back-off: failed pulls and starts are retried by the next reconcile of their pod. */
  retryFailedNow(): void {
    this.backoff.clearAll();
  }

  private admittedFor(pod: string): Extract<FileVerdict, { kind: 'admitted' }> | undefined {
    for (const verdict of this.verdicts.values()) if (verdict.kind === 'admitted' && verdict.pod === pod) return verdict;
    return undefined;
  }

  private async reconcilePod(pod: string): Promise<void> {
    const actual = await withLiveness(this.deps.dataDir, await this.reads.forReconcile(pod));
    this.reads.keep(pod, actual);
    const action = decidePod(pod, this.verdicts, actual, this.deps.applied.get(pod)?.spec);
    if (action === undefined) {
      this.progress.delete(pod);
      this.deps.probes?.sync(pod, actual);
      this.deps.onStatusChange();
      return;
    }
    switch (action.kind) {
      case 'adopt':
        await this.adopt(action, actual);
        if (actual !== undefined) await this.containers.tend(action.pod, actual, this.admittedFor(action.pod)?.spec);
        break;
      case 'keep':
        if (actual !== undefined) await this.containers.tend(action.pod, actual, this.deps.applied.get(action.pod)?.spec);
        break;
      case 'stop':
        if (actual !== undefined) await this.stopPod(action, actual);
        break;
      case 'start':
      case 'update':
        await this.startPod(action, actual);
        break;
    }
    await this.containers.readExits(pod, this.reads.get(pod));
    this.deps.probes?.sync(pod, this.reads.get(pod));
    this.deps.onStatusChange();
  }

  private async adopt(action: Extract<PodAction, { kind: 'adopt' }>, actual: ActualPod | undefined): Promise<void> {
    this.progress.delete(action.pod);
    this.backoff.clear(action.pod);
    const recorded = this.deps.applied.get(action.pod);
    const verdict = this.admittedFor(action.pod);
    if (recorded?.hash === action.hash || verdict === undefined || actual?.uuid === undefined) return;
    // Running and matching, but the daemon has no record of it (first sight since its data was lost, or adoption).
    this.deps.log.info({ file: action.file, pod: action.pod, action: 'adopt', uuid: actual.uuid }, `adopted pod ${action.pod} (${actual.uuid})`);
    await this.deps.applied.set({
      pod: action.pod, file: action.file, hash: action.hash, uuid: actual.uuid, startedAt: Date.now(), spec: verdict.spec,
      images: recorded?.images ?? [], previousImages: recorded?.previousImages ?? [],
    });
  }

  private async stopPod(action: Extract<PodAction, { kind: 'stop' }>, actual: ActualPod): Promise<void> {
    this.deps.log.info({ file: action.file, pod: action.pod, action: 'stop', reason: action.reason, uuid: actual.uuid }, `stopping pod ${action.pod}: ${action.reason}`);
    await this.deps.actuator.stop(actual);
    await this.deps.applied.delete(action.pod);
    this.progress.delete(action.pod);
    this.backoff.clear(action.pod);
    this.containers.crashLoops.forget(action.pod);
    this.reads.keep(action.pod, await this.reads.read(action.pod));
  }

  private async startPod(action: Extract<PodAction, { kind: 'start' | 'update' }>, actual: ActualPod | undefined): Promise<void> {
    const { log, actuator } = this.deps;
    if (this.backoff.held(action.pod, action.hash)) return; // its timer re-enqueues it
    const verdict = this.admittedFor(action.pod);
    if (verdict === undefined) return;
    const fields = { file: action.file, pod: action.pod, hash: action.hash };
    log.info(
      { ...fields, action: action.kind, reason: action.kind === 'start' ? action.reason : `changed: ${action.changes.join(', ') || 'spec hash'}` },
      action.kind === 'start' ? `starting pod ${action.pod} from ${action.file}` : `updating pod ${action.pod} from ${action.file}`,
    );
    this.setProgress(action.pod, { phase: 'pulling', since: Date.now() });
    let prepared;
    const prepareStart = performance.now();
    try {
      prepared = await actuator.prepare(verdict.spec, verdict.hash, verdict.config);
    } catch (error) {
      this.fail(action, `pulling images failed: ${errorText(error)}`);
      return;
    }
    if (this.admittedFor(action.pod)?.hash !== action.hash) {
      // The file changed again while its images were pulled: start the newest version instead.
      await actuator.discard(prepared.uuid);
      this.progress.delete(action.pod);
      this.enqueue(action.pod);
      return;
    }
    try {
      await actuator.checkLimits(prepared.plan);
    } catch (error) {
      await actuator.discard(prepared.uuid);
      this.fail(action, errorText(error));
      return;
    }
    this.setProgress(action.pod, { phase: 'starting', since: Date.now() });
    if (actual !== undefined && (actual.sandbox !== undefined || actual.apps.size > 0)) {
      log.info({ ...fields, action: 'stop', reason: `replaced by ${action.hash}`, uuid: actual.uuid }, `stopping the old version of pod ${action.pod}`);
      await actuator.stop(actual);
    }
    const prepareMs = Math.round(performance.now() - prepareStart);
    let started;
    const before = this.deps.applied.get(action.pod);
    const record = {
      pod: action.pod, file: action.file, hash: action.hash, uuid: prepared.uuid, startedAt: Date.now(), spec: verdict.spec,
      images: [...new Set(prepared.plan.apps.map((app) => app.image.id))],
      previousImages: before === undefined ? [] : before.hash === action.hash ? before.previousImages : before.images,
    };
    try {
      started = await actuator.start(action.pod, action.file, prepared.uuid, prepared.plan, { fresh: actual === undefined });
    } catch (error) {
      this.fail(action, errorText(error));
      await this.deps.applied.set(record);
      return;
    }
    await this.deps.applied.set(record);
    this.progress.delete(action.pod);
    this.backoff.clear(action.pod);
    this.containers.crashLoops.forget(action.pod);
    log.info(
      { ...fields, action: 'started', uuid: prepared.uuid, prepareMs, upMs: started.upMs, unitsMs: started.unitsMs },
      `pod ${action.pod} started (${prepared.uuid})`,
    );
    this.reads.keep(action.pod, await this.reads.read(action.pod));
  }

  private setProgress(pod: string, progress: PodProgress): void {
    this.progress.set(pod, progress);
    this.deps.onStatusChange();
  }

  private fail(action: Extract<PodAction, { kind: 'start' | 'update' }>, reason: string): void {
    const { delayMs: delay, attempts, retryAt } = this.backoff.failed(action.pod, action.hash);
    this.setProgress(action.pod, { phase: 'failed', reason, since: Date.now(), retryAt });
    this.deps.log.warn(
      { file: action.file, pod: action.pod, action: 'failed', reason, retryInMs: delay, attempts },
      `pod ${action.pod}: ${reason}; retrying in ${Math.round(delay / 1000)} s`,
    );
  }

  /** Every file's status, in file name order. */
  statuses(): PodFileStatus[] {
    return this.board.statuses({
      verdicts: this.verdicts, actual: this.reads.all, exits: this.containers.exits, progress: this.progress, applied: this.deps.applied, crashLoops: this.containers.crashLoops,
      ...(this.deps.probes === undefined ? {} : { probes: this.deps.probes }),
    });
  }
}

/** Whether the units a reconcile saw for a pod are in the states a listing shows now. */
function sameUnitStates(actual: ActualPod | undefined, listed: ReadonlyMap<string, string> | undefined): boolean {
  const known = new Map<string, string>();
  for (const unit of [...(actual?.sandbox === undefined ? [] : [actual.sandbox]), ...(actual?.apps.values() ?? [])]) {
    known.set(unit.name, `${unit.activeState}/${unit.subState}`);
  }
  const now = listed ?? new Map<string, string>();
  return known.size === now.size && [...known].every(([unit, state]) => now.get(unit) === state);
}
