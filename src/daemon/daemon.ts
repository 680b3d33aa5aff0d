/**
 * @module daemon/daemon — `rocklet daemon`: one process per host that keeps the pods of the
 * pod directory running as transient units (DESIGN.md §1, §3).
 *
 * Start-up: take `<run-dir>/daemon.lock` (a second daemon refuses), connect to systemd, read
 * machine labels, scan the pod directory, reconcile every pod (adopting the running ones),
 * then report ready. Afterwards: chokidar events on the pod directory and machine.yaml, unit
 * changes from systemd's signals, SIGHUP and a periodic full resync each mark pods dirty.
 * Stopping the daemon (SIGTERM, `systemctl stop rocklet`) stops watching and leaves every pod
 * running: pods are systemd's, never the daemon's.
 */
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { FetchSettings, ImageId } from '../image/index.js';
import type { RuntimeContext } from '../pod/index.js';
import { loadPodFilePreparer, rockletStatePaths } from '../pod/index.js';
import type { SystemdManager } from '../systemd/index.js';
import { connectSystemd } from '../systemd/index.js';
import { probeEngine } from '../util/index.js';
import { podOfUnitName } from './actual.js';
import { PodActuator } from './actuator.js';
import { AppliedRecords } from './applied.js';
import type { DaemonLog } from './log.js';
import type { MachineLabels } from './machine-labels.js';
import { MACHINE_FILE_NAME, builtinLabels, loadMachineLabels } from './machine-labels.js';
import type { GcSettings } from './gc.js';
import { GarbageCollector } from './gc.js';
import { Reconciler } from './reconciler.js';
import { DaemonProbes } from './probes/probe-manager.js';
import type { DaemonSettings } from './settings.js';
import type { DirWatch } from './source.js';
import { SharedConfigSource } from './shared-config.js';
import { GONE_GRACE_MS, PodFileCache, watchDir } from './source.js';
import { lockDaemon } from './daemon-lock.js';
import { writeStatusFile } from './status.js';

/** READY is reported after the first full reconcile, or after this long if pulls take longer. */
const READY_AFTER_MS = 30_000;
const STATUS_WRITE_DELAY_MS = 20;
const STATUS_WRITE_MAX_DELAY_MS = 1000;
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

export interface DaemonOptions {
  readonly settings: DaemonSettings;
  /** The runtime core's context in this process (data and config dirs, namespaces, network). */
  readonly runtime: RuntimeContext;
  readonly runDir: string;
  readonly fetchSettings: FetchSettings;
  /** Reads config.yaml's fetch settings (registries, CA file, stall timeout) again at SIGHUP. */
  readonly reloadFetchSettings?: () => Promise<FetchSettings>;
  readonly gc: GcSettings;
  /** D-Bus address of the system bus (default: the environment's). */
  readonly busAddress?: string;
  /** How units run rocklet (absolute program + leading argv with global flags). */
  readonly rocklet: readonly [string, ...string[]];
  readonly crun: string;
  readonly unitEnvironment?: Readonly<Record<string, string>>;
  readonly log: DaemonLog;
  /** Aborting stops the daemon (pods keep running). */
  readonly signal: AbortSignal;
  /** Called once, when the first full reconcile is done (sd_notify READY=1). */
  readonly onReady?: (summary: string) => void;
  readonly backoffFirstMs?: number;
}

export class Daemon {
  private manager: SystemdManager | undefined;
  private reconciler: Reconciler | undefined;
  private collector: GarbageCollector | undefined;
  private probes: DaemonProbes | undefined;
  private files: PodFileCache | undefined;
  private shared: SharedConfigSource | undefined;
  private watches: DirWatch[] = [];
  private fileWork: Promise<void> = Promise.resolve();
  private statusTimer: NodeJS.Timeout | undefined;
  private readmitQueued = false;
  /** How long the last status write took (building, serialising, writing), in ms. */
  private statusWriteMs = 0;
  private statusWrite: Promise<void> = Promise.resolve();
  private ready = false;
  /** Abandoned prepares are removed once per process, before its first reconcile. */
  private sweptPrepares = false;
  private readonly startedAt = Date.now();
  private labels: MachineLabels = {};
  private busLost = new AbortController();
  private notified = false;
  private closing = false;

  private fetchSettings: FetchSettings;

  constructor(private readonly options: DaemonOptions) {
    this.fetchSettings = options.fetchSettings;
  }

  /**
   * Runs until the signal aborts (or, with `once`, until the first full reconcile is done).
   * Losing the bus only restarts the daemon's own loop: it reconnects with back-off (1 s
   * doubling to 30 s) and adopts its pods again; no pod is touched meanwhile.
   */
  async run(once: boolean): Promise<void> {
    const { options } = this;
    const lock = await lockDaemon(options.runDir);
    try {
      await this.startUp();
      if (!once) {
        while ((await this.serve()) === 'bus-lost') {
          await this.shutDown();
          if (!(await this.waitForBus())) break;
          await this.startUp();
        }
      }
    } finally {
      await this.shutDown();
      await lock.release();
    }
  }

  /** Waits until systemd answers again; false when the daemon is stopped meanwhile. */
  private async waitForBus(): Promise<boolean> {
    const { signal, log } = this.options;
    for (let delay = RECONNECT_FIRST_MS; !signal.aborted; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
      try {
        const probe = await connectSystemd(this.options.busAddress === undefined ? {} : { address: this.options.busAddress });
        await probe.close();
        log.info({ action: 'reconnect' }, 'systemd answers again: reconnecting');
        return true;
      } catch (error) {
        log.warn({ action: 'reconnect', reason: error instanceof Error ? error.message : String(error), retryInMs: delay }, `systemd is not reachable; retrying in ${delay} ms`);
      }
      // An abort ends the wait early; the loop condition then ends the loop.
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
    return false;
  }

  /**
   * A full resync now (SIGHUP): config.yaml's fetch settings are read again (a bad file is
   * logged and the previous settings kept), and failed pulls and starts retry at once instead
   * of at the end of their back-off: SIGHUP is how an operator says "I fixed it".
   */
  resync(): void {
    this.options.log.info({ action: 'resync' }, 'full resync');
    this.queueFileWork(async () => {
      await this.reloadFetchSettings();
      await this.files?.scan();
      await this.reloadLabels();
      this.reconciler?.retryFailedNow();
      await this.reconciler?.resync();
    });
  }

  private async reloadFetchSettings(): Promise<void> {
    const { reloadFetchSettings, log } = this.options;
    if (reloadFetchSettings === undefined) return;
    try {
      this.fetchSettings = await reloadFetchSettings();
      log.info({ action: 'reload', reason: 'SIGHUP' }, 'read the fetch settings of config.yaml again (registries, CA file, stall timeout)');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.error({ action: 'reload', reason }, `config.yaml not reloaded, the previous fetch settings stay: ${reason}`);
    }
  }

  private async startUp(): Promise<void> {
    const { options } = this;
    const { log, settings } = options;
    this.closing = false;
    this.busLost = new AbortController();
    const busLost = this.busLost;
    await mkdir(path.join(options.runDir, 'daemon'), { recursive: true, mode: 0o755 });
    await mkdir(settings.podDir, { recursive: true, mode: 0o755 });
    this.labels = await this.readLabels(true);
    this.manager = await connectSystemd(options.busAddress === undefined ? {} : { address: options.busAddress });
    const manager = this.manager;
    const applied = await new AppliedRecords(options.runtime.dataDir).load();
    const parseOptions = {
      nodeName: hostname(),
      protectedHostPaths: rockletStatePaths({ dataDir: options.runtime.dataDir, configDir: options.runtime.configDir, runDir: options.runDir, podDir: settings.podDir }),
    };
    this.files = new PodFileCache(settings.podDir, parseOptions, (name, reason) => log.info({ file: name, action: 'ignore', reason }, `ignoring ${name}: ${reason}`));
    const actuator = new PodActuator({
      manager,
      runtime: options.runtime,
      fetchSettings: () => this.fetchSettings,
      rocklet: options.rocklet,
      crun: options.crun,
      ...(options.unitEnvironment === undefined ? {} : { unitEnvironment: options.unitEnvironment }),
    });
    if (!this.sweptPrepares) {
      for (const uuid of await actuator.sweepAbandoned()) log.info({ action: 'remove', uuid, reason: 'prepared by an earlier run, never started' }, `removed pod ${uuid}: prepared by an earlier run of the daemon and never started`);
      for (const uuid of await actuator.sweepInterruptedStops()) log.info({ action: 'stop', uuid, reason: 'an earlier run stopped it and did not clean up' }, `took pod ${uuid} down: an earlier run of the daemon stopped its units and died before cleaning up`);
      this.sweptPrepares = true;
    }
    this.probes = new DaemonProbes({ manager, runtime: options.runtime, crun: options.crun, log, onChange: () => this.scheduleStatus(), engine: probeEngine() });
    this.reconciler = new Reconciler({
      files: this.files, manager, actuator, applied, log, dataDir: options.runtime.dataDir, labels: this.labels,
      onStatusChange: () => this.scheduleStatus(),
      probes: this.probes,
      ...(options.backoffFirstMs === undefined ? {} : { backoffFirstMs: options.backoffFirstMs }),
    });
    const reconciler = this.reconciler;
    const files = this.files;
    this.collector = new GarbageCollector({
      runtime: options.runtime,
      settings: options.gc,
      log,
      protectedImages: async (store) => {
        const { storedImagesOf } = await loadPodFilePreparer();
        const ids = new Set<ImageId>();
        for (const candidate of files.candidates()) {
          if (!candidate.outcome.ok) continue;
          for (const record of await storedImagesOf(store, candidate.outcome.spec)) ids.add(record.id);
        }
        for (const record of applied.all()) for (const id of [...record.images, ...record.previousImages]) ids.add(id as ImageId);
        return ids;
      },
    });
    manager.subscribe((event) => {
      if (event.type === 'disconnected') {
        if (this.closing) return;
        log.error({ action: 'disconnected' }, 'lost the connection to systemd; reconnecting (pods keep running)');
        busLost.abort();
        return;
      }
      if (event.type === 'unit-changed' || event.type === 'unit-new' || event.type === 'unit-removed') {
        const unit = podOfUnitName(event.unit);
        if (unit !== undefined) reconciler.unitChanged(unit.pod);
      }
    });
    // Watch first, then scan: nothing written in between is missed.
    this.watches.push(await watchDir(settings.podDir, settings.debounceMs, (name) => this.onPodDirEvent(name), (error) => log.error({ action: 'watch', reason: String(error) }, 'watching the pod directory failed'), GONE_GRACE_MS));
    const shared = new SharedConfigSource(path.resolve(options.runtime.configDir), settings.debounceMs, () => this.sharedConfigChanged(), (error) => log.error({ action: 'watch', reason: String(error) }, 'reading configmaps/ or secrets/ failed'));
    this.shared = shared;
    await shared.watch();
    this.watches.push(shared);
    this.watches.push(
      await watchDir(path.resolve(options.runtime.configDir), settings.debounceMs, (name) => {
        if (name === MACHINE_FILE_NAME) this.queueFileWork(() => this.reloadLabels());
        else this.queueFileWork(async () => {
          if (await shared.configDirChanged(name)) this.sharedConfigChanged();
        });
      }, (error) => log.error({ action: 'watch', reason: String(error) }, 'watching the config directory failed')),
    );
    await shared.reload();
    this.logSharedProblems();
    this.files.shared = shared.current;
    await this.files.scan();
    await reconciler.resync({ reuseRead: true });
    const settled = await Promise.race([reconciler.idle().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), READY_AFTER_MS).unref())]);
    this.ready = true;
    this.scheduleStatus();
    const statuses = reconciler.statuses();
    const summary = `${statuses.length} pod files, ${statuses.filter((s) => s.state === 'Running').length} running`;
    log.info({ action: 'ready', settled }, settled ? `ready: ${summary}` : `ready (pulls still under way): ${summary}`);
    if (!this.notified) options.onReady?.(summary);
    this.notified = true;
    reconciler.fillRestarts().catch((error: unknown) => log.warn({ action: 'resync', reason: String(error) }, 'reading restart counts failed'));
  }

  /** Serves until stopped (`signal`) or the bus is lost (`bus-lost`). */
  private async serve(): Promise<'signal' | 'bus-lost'> {
    const { signal, settings } = this.options;
    await this.collector?.start();
    const timer = setInterval(() => this.queueFileWork(async () => {
      await this.files?.scan();
      await this.reconciler?.quickResync();
      void this.collector?.checkDiskPressure();
    }), settings.resyncMs);
    try {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
        this.busLost.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      clearInterval(timer);
    }
    return signal.aborted ? 'signal' : 'bus-lost';
  }

  /** Stops watching and reconciling and closes the bus; pods stay. Idempotent. */
  private async shutDown(): Promise<void> {
    this.collector?.stop();
    for (const watch of this.watches) await watch.close();
    this.watches = [];
    this.reconciler?.stop();
    await this.fileWork;
    await this.reconciler?.idle();
    clearTimeout(this.statusTimer);
    await this.statusWrite;
    if (this.reconciler !== undefined) await this.writeStatus();
    // After the last status: it keeps the containers' last readiness for `rocklet pods`.
    this.probes?.stop();
    this.closing = true;
    await this.manager?.close();
    this.manager = undefined;
  }

  /** configmaps/ or secrets/ changed: bind every pod file again (admission compares the hashes). */
  private sharedConfigChanged(): void {
    if (this.files === undefined || this.shared === undefined) return;
    this.files.shared = this.shared.current;
    this.logSharedProblems();
    this.scheduleReadmit();
  }

  private logSharedProblems(): void {
    for (const problem of this.shared?.current.problems ?? []) {
      this.options.log.warn({ action: 'config-object', file: problem.file, reason: problem.reason }, `${problem.file} is not used: ${problem.reason}`);
    }
  }

  private onPodDirEvent(name: string): void {
    this.queueFileWork(async () => {
      if (await this.files?.refresh(name)) this.scheduleReadmit();
    });
  }

  /**
   * Admission looks at every file, so it runs once after the file reads queued so far, not once
   * per read: 1,000 files dropped at once are 1,000 reads and a few admissions, not 1,000.
   */
  private scheduleReadmit(): void {
    if (this.readmitQueued) return;
    this.readmitQueued = true;
    this.queueFileWork(() => {
      this.readmitQueued = false;
      this.reconciler?.readmit();
      return Promise.resolve();
    });
  }

  /** File reads run one at a time, in event order. */
  private queueFileWork(work: () => Promise<void>): void {
    this.fileWork = this.fileWork.then(work).catch((error: unknown) => {
      this.options.log.error({ action: 'read', reason: error instanceof Error ? error.message : String(error) }, 'reading pod files failed');
    });
  }

  private async readLabels(first: boolean): Promise<MachineLabels> {
    try {
      return await loadMachineLabels(this.options.runtime.configDir, undefined, { emptyIsError: !first });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.log.error({ file: MACHINE_FILE_NAME, action: 'invalid', reason }, first ? `${reason}; using the built-in labels only` : `${reason}; keeping the last good labels`);
      if (first) return builtinLabels();
      return this.labels;
    }
  }

  private async reloadLabels(): Promise<void> {
    const labels = await this.readLabels(false);
    if (JSON.stringify(labels) === JSON.stringify(this.labels)) return;
    this.labels = labels;
    this.options.log.info({ file: MACHINE_FILE_NAME, action: 'labels', labels }, 'machine labels changed');
    this.reconciler?.setLabels(labels);
  }

  private scheduleStatus(): void {
    if (this.statusTimer !== undefined) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.statusWrite = this.statusWrite.then(() => this.writeStatus()).catch((error: unknown) => {
        this.options.log.error({ action: 'status', reason: error instanceof Error ? error.message : String(error) }, 'writing the status file failed');
      });
    }, statusWriteDelay(this.statusWriteMs));
  }

  private async writeStatus(): Promise<void> {
    const begin = performance.now();
    const files = this.reconciler?.statuses() ?? [];
    await writeStatusFile(this.options.runDir, {
      version: 1,
      daemon: {
        pid: process.pid, startedAt: this.startedAt, updatedAt: Date.now(), ready: this.ready, podDir: this.options.settings.podDir,
        memory: (({ rss, heapUsed, heapTotal, external }) => ({ rss, heapUsed, heapTotal, external }))(process.memoryUsage()),
        ...(this.probes === undefined ? {} : { probes: { containers: this.probes.size, ...this.probes.latenessStats() } }),
      },
      files,
    });
    this.statusWriteMs = performance.now() - begin;
  }
}

/**
 * The status file is rewritten at most every 20 ms, and never more than a tenth of the time:
 * with 1,000 files one write (every row, ~300 KB of JSON) takes milliseconds, and a start of
 * 1,000 pods changes some row all the time.
 */
export function statusWriteDelay(lastWriteMs: number): number {
  return Math.min(STATUS_WRITE_MAX_DELAY_MS, Math.max(STATUS_WRITE_DELAY_MS, Math.ceil(lastWriteMs * 10)));
}
