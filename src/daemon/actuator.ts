/**
 * @module daemon/actuator — carries out the planner's actions: prepare a pod (fetch and verify
 * its images, create it in the pod store) while the old version still runs, then start its
 * transient units (unit-plan.ts) over D-Bus, or stop a pod's units.
 *
 * Start order: every unit is created with StartTransientUnit in the plan's order (sandbox,
 * init apps, apps) without waiting in between; systemd orders the jobs by the units' After=
 * and Requires=, so the calls go out back to back and the daemon waits once for all of them.
 * A unit name left from an earlier run (a failed unit systemd keeps loaded) is reset first, as
 * a transient unit cannot be created over a loaded one.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { FetchSettings } from '../image/index.js';
import type { PodPlan, PodUuid, PreparedPod, RuntimeContext } from '../pod/index.js';
import { CALLER_STOP_MARKER, assertLimitControllers, isPodUuid, loadPodFilePreparer, podDown, podPath, podStore, podUnitNames, podUnits, podsIn, readPodPlan, removePod, upForUnits } from '../pod/index.js';
import type { PodConfig, PodSpec, SpecHash } from '../podfile/index.js';
import type { SystemdManager, UnitName, UnitStatus } from '../systemd/index.js';
import { parseUnitName } from '../systemd/index.js';
import { errnoCode, hasErrorCode, runtimeFailure } from '../util/index.js';
import type { ActualPod } from './actual.js';
import { POD_FILE_ENV, isUnitUp, readActualPod } from './actual.js';
import type { PodFileKey } from './pod-dir.js';

// `pod down`s of stops the daemon does not make run at most this many at once (unit-plan's podDownSlots).
const POD_DOWN_SLOTS = Math.max(1, availableParallelism());

/** Marker in a pod the daemon prepared: started or discarded by the daemon, never kept for `run-prepared`. */
export const DAEMON_PREPARED = 'daemon-prepared';

export interface ActuatorOptions {
  readonly manager: SystemdManager;
  /** The runtime core's context in this process (host mount and network namespaces). */
  readonly runtime: RuntimeContext;
  /** The settings of the next pull (SIGHUP reloads them from config.yaml). */
  readonly fetchSettings: () => FetchSettings;
  /** How units run rocklet: absolute program and leading argv (global flags included). */
  readonly rocklet: readonly [string, ...string[]];
  /** Absolute path of crun. */
  readonly crun: string;
  /** Extra Environment= for every unit. */
  readonly unitEnvironment?: Readonly<Record<string, string>>;
}

/** What {@link PodActuator.start} started. */
export interface StartedPod {
  readonly uuid: PodUuid;
  readonly units: readonly UnitName[];
  /** ms spent bringing the pod up and preparing its apps in-process, and in the start jobs. */
  readonly upMs: number;
  readonly unitsMs: number;
}

export class PodActuator {
  constructor(private readonly options: ActuatorOptions) {}

  /**
   * Fetches and verifies the pod's images (each container's pull policy) and creates the pod
   * in `prepared/`. Nothing of a running version is touched; on failure nothing is left.
   */
  async prepare(spec: PodSpec, hash: SpecHash, config?: PodConfig): Promise<PreparedPod> {
    const { preparePodSpec } = await loadPodFilePreparer();
    const prepared = await preparePodSpec(this.options.runtime, spec, hash, { fetchSettings: this.options.fetchSettings(), stage1: 'crun', ...(config === undefined ? {} : { config }) });
    try {
      await writeFile(path.join(podPath(podStore(this.options.runtime.dataDir), 'prepared', prepared.uuid), DAEMON_PREPARED), '');
    } catch (error) {
      await this.discard(prepared.uuid);
      throw error;
    }
    return prepared;
  }

  /**
   * Removes the pods an earlier run of the daemon prepared and neither started nor discarded
   * (it was killed in between): nothing else would take them before gc's 24 h expiry of
   * prepared pods. Pods `rocklet prepare` made carry no marker and are left alone. Run before
   * the first reconcile, when no prepare of this process is under way.
   */
  async sweepAbandoned(): Promise<PodUuid[]> {
    const store = podStore(this.options.runtime.dataDir);
    const removed: PodUuid[] = [];
    for (const uuid of await podsIn(store, 'prepared')) {
      try {
        await stat(path.join(podPath(store, 'prepared', uuid), DAEMON_PREPARED));
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') continue;
        throw error;
      }
      await removePod(store, uuid);
      removed.push(uuid);
    }
    return removed;
  }

  /**
   * Refuses a plan whose limits this machine's cgroup tree cannot enforce (systemd would run the
   * pod without them): checked before an update stops the running version.
   */
  async checkLimits(plan: PodPlan): Promise<void> {
    await assertLimitControllers(this.options.runtime.mountNamespace, plan.apps);
  }

  /** Removes a prepared pod that will not be started (its file changed while it was pulled, or it cannot run here). */
  async discard(uuid: PodUuid): Promise<void> {
    // A prepared pod holds nothing outside its directory yet.
    await removePod(podStore(this.options.runtime.dataDir), uuid);
  }

  /**
   * Starts prepared pod `uuid`: brings it up and prepares its apps in this process (the same
   * runtime-core code the units run, without their two Node starts), then starts its units,
   * whose first start skips that work, and moves the pod's lock holder into the sandbox unit.
   * Resolves when every start job finished, or, for a pod with init apps, when the sandbox's
   * did and the other units' jobs are queued. `fresh`: the caller read the pod's units just before
   * and systemd had none loaded, so there is no leftover unit to reset (one D-Bus round trip
   * less before the first job runs).
   */
  async start(pod: string, file: PodFileKey, uuid: PodUuid, plan: PodPlan, options: { readonly fresh?: boolean } = {}): Promise<StartedPod> {
    const { manager, runtime } = this.options;
    const begin = performance.now();
    const up = await upForUnits(runtime, uuid);
    const upDone = performance.now();
    const units = podUnits({
      unitName: parseUnitName,
      uuid,
      plan,
      store: podStore(runtime.dataDir),
      podName: pod,
      rocklet: this.options.rocklet,
      crun: this.options.crun,
      environment: { ...this.options.unitEnvironment, [POD_FILE_ENV]: file },
      podFile: file,
      preparedByCaller: true,
      podDownSlots: POD_DOWN_SLOTS,
    });
    const all = [units.sandbox, ...units.apps];
    try {
      if (options.fresh !== true) await Promise.all(all.map((unit) => this.clearLeftover(unit.name)));
    } catch (error) {
      await podDown(runtime, uuid);
      throw error;
    }
    // One call per unit, back to back; systemd orders the jobs by After=/Requires=. Units
    // behind an init app are only queued: a oneshot init's start job lasts as long as the init
    // container runs, and its failure is handled like a crashed app (reconciler reviveCrashed).
    const behindInit = units.apps.some((app) => app.init);
    const jobs = all.map(async (unit) => {
      if (behindInit && unit !== units.sandbox) {
        await manager.queueTransientUnit(unit.name, unit.properties);
        return { unit: unit.name, outcome: { result: 'done' as const } };
      }
      return { unit: unit.name, outcome: await manager.startTransientUnit(unit.name, unit.properties) };
    });
    const outcomes = await Promise.allSettled(jobs);
    const sandbox = outcomes[0];
    let attachError: unknown;
    if (sandbox?.status === 'fulfilled' && sandbox.value.outcome.result === 'done') {
      try {
        await manager.attachProcessesToUnit(units.sandbox.name, [up.holderPid]);
      } catch (error) {
        attachError = error;
      }
    }
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    const failed = outcomes.flatMap((o) => (o.status === 'fulfilled' && o.value.outcome.result !== 'done' ? [o.value] : []));
    if (rejected !== undefined || failed.length > 0 || attachError !== undefined) {
      const first = failed[0];
      const what = failed.map((f) => `${f.unit} (${f.outcome.result})`).join(', ');
      const error = runtimeFailure(
        'ERR_DAEMON_START_FAILED',
        attachError !== undefined ? `pod "${pod}": moving its lock holder into ${units.sandbox.name} failed` : `pod "${pod}": starting ${what || 'its units'} failed`,
        { ...(first === undefined ? {} : { hint: `journalctl -u ${first.unit}` }), cause: attachError ?? rejected?.reason },
      );
      // A pod half started would be adopted as running: take it down (pod down releases it).
      const actual = await readActualPod(manager, pod);
      if (actual !== undefined) await this.stop(actual);
      await podDown(runtime, uuid);
      throw error;
    }
    return { uuid, units: all.map((unit) => unit.name), upMs: Math.round(upDone - begin), unitsMs: Math.round(performance.now() - upDone) };
  }

  /**
   * Starts app `app` of running pod `actual` again after systemd gave up on it (start-limit-hit),
   * or, for a failed init app, that init app and every unit after it (later init apps and the
   * apps, whose start jobs failed with it): each failed unit is reset (which also clears
   * systemd's start counter) and started anew from the pod's plan, a unit that already ran
   * preparing a fresh rootfs. A reset unit that systemd has not collected yet is simply started.
   * Resolves when the start jobs finished; a unit that fails again is left to the next reconcile.
   */
  async restartApp(actual: ActualPod, app: string): Promise<void> {
    const { manager, runtime } = this.options;
    if (actual.uuid === undefined || actual.file === undefined) return;
    const uuid = actual.uuid as PodUuid;
    const store = podStore(runtime.dataDir);
    const plan = await readPodPlan(podPath(store, 'run', uuid));
    const units = podUnits({
      unitName: parseUnitName, uuid, plan, store, podName: actual.pod, rocklet: this.options.rocklet, crun: this.options.crun,
      environment: { ...this.options.unitEnvironment, [POD_FILE_ENV]: actual.file },
      podFile: actual.file,
      // An app that never ran still has the daemon's token and a fresh rootfs; the others prepare again.
      preparedByCaller: true,
      podDownSlots: POD_DOWN_SLOTS,
    });
    const index = units.apps.findIndex((candidate) => candidate.app === app);
    const target = units.apps[index];
    if (target === undefined) return;
    // A native sidecar is restarted alone, like an app.
    const sidecar = plan.apps.find((candidate) => candidate.name === app)?.sidecar === true;
    const restart = target.init && !sidecar ? units.apps.slice(index) : [target];
    await Promise.all(restart.map((unit) => this.clearLeftover(unit.name)));
    const outcomes = await Promise.all(restart.map(async (unit) => {
      try {
        return await manager.startTransientUnit(unit.name, unit.properties);
      } catch (error) {
        if (!hasErrorCode(error, 'ERR_UNIT_EXISTS')) throw error;
        return manager.startUnit(unit.name);
      }
    }));
    if (!target.init && outcomes[0]?.result !== 'done') {
      throw runtimeFailure('ERR_DAEMON_START_FAILED', `pod "${actual.pod}": restarting ${target.name} failed (${outcomes[0]?.result ?? 'unknown'})`, { hint: `journalctl -u ${target.name}` });
    }
  }

  /**
   * Stops every unit of `actual` (apps first, by their BindsTo= on the sandbox) and forgets
   * failed ones. The pod's cleanup (`pod down`) runs here in-process: the caller-stop marker
   * makes the units' ExecStopPost= skip their Node starts. Units of older
   * versions ignore the marker and clean up themselves; the cleanup is idempotent.
   */
  async stop(actual: ActualPod): Promise<void> {
    const units = [...actual.apps.values(), ...(actual.sandbox === undefined ? [] : [actual.sandbox])];
    const marked = actual.uuid !== undefined && isPodUuid(actual.uuid) ? await this.markCallerStop(actual.uuid) : undefined;
    try {
      // The sandbox's stop job stops every unit bound to it (all of the pod's: BindsTo=) in one
      // transaction, ordered as they started in reverse (apps, then sidecars and inits, then
      // the sandbox). Stop jobs queued one per unit raced: a sidecar's could run before its
      // app's was queued. Without a running sandbox each unit is stopped on its own.
      if (actual.sandbox !== undefined && isUnitUp(actual.sandbox)) await this.stopUnit(actual.sandbox);
      else await Promise.all(units.map((unit) => this.stopUnit(unit)));
    } catch (error) {
      // The units may still run: their own stop must clean up after all.
      if (marked !== undefined) await rm(marked.marker, { force: true });
      throw error;
    }
    if (marked !== undefined) await this.cleanUp(marked.uuid);
    await Promise.all(units.map((unit) => this.clearLeftover(unit.name)));
    // The pod's slice outlives its units until stopped: take it down too (unless a new
    // version is about to reuse it, which then simply starts it again).
    const slice = podUnitNames(actual.pod, parseUnitName).slice;
    const sliceStatus = await this.status(slice);
    if (sliceStatus !== undefined && isUnitUp(sliceStatus)) await this.stopUnit(sliceStatus);
    if (actual.sandbox !== undefined && isUnitUp(await this.status(actual.sandbox.name))) {
      throw runtimeFailure('ERR_DAEMON_STOP_FAILED', `pod "${actual.pod}": ${actual.sandbox.name} is still active after its stop job`);
    }
  }

  /** Leaves the caller-stop marker in running pod `uuid`'s dir; undefined when the pod is not in run/. */
  private async markCallerStop(uuid: PodUuid): Promise<{ readonly uuid: PodUuid; readonly marker: string } | undefined> {
    const marker = path.join(podPath(podStore(this.options.runtime.dataDir), 'run', uuid), CALLER_STOP_MARKER);
    try {
      await writeFile(marker, '');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    return { uuid, marker };
  }

  /**
   * What the stopped units' ExecStopPost= would have done. `pod down` alone covers the apps'
   * part too (it deletes every app's crun container and unmounts everything under the pod);
   * what `app cleanup` adds is the exit code, which a pod the daemon stops for good (deleted or
   * replaced) does not need.
   */
  private async cleanUp(uuid: PodUuid): Promise<void> {
    try {
      await podDown(this.options.runtime, uuid);
    } catch (error) {
      // Garbage collection may take the stopped pod first (its lock holder is gone once the
      // sandbox stopped); gc released it as pod down would, so the stop is done.
      if (hasErrorCode(error, 'ERR_POD_NOT_FOUND')) return;
      throw error;
    }
  }

  /**
   * Finishes the cleanup of pods whose stop an earlier run of the daemon began (it left the
   * caller-stop marker) and did not finish. A pod whose sandbox unit still runs loses the marker
   * instead: the stop never happened, and its units must clean up when they do stop.
   */
  async sweepInterruptedStops(): Promise<PodUuid[]> {
    const store = podStore(this.options.runtime.dataDir);
    const finished: PodUuid[] = [];
    for (const uuid of await podsIn(store, 'run')) {
      const dir = podPath(store, 'run', uuid);
      const marker = path.join(dir, CALLER_STOP_MARKER);
      try {
        await stat(marker);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') continue;
        throw error;
      }
      const plan = await readPodPlan(dir);
      const sandbox = await this.status(podUnitNames(plan.podName ?? uuid, parseUnitName).sandbox);
      if (sandbox !== undefined && (isUnitUp(sandbox) || sandbox.activeState === 'deactivating')) {
        await rm(marker, { force: true });
        continue;
      }
      await this.cleanUp(uuid);
      finished.push(uuid);
    }
    return finished;
  }

  private async stopUnit(unit: UnitStatus): Promise<void> {
    if (unit.activeState === 'inactive' || unit.activeState === 'failed') return;
    try {
      await this.options.manager.stopUnit(unit.name);
    } catch (error) {
      if (!hasErrorCode(error, 'ERR_UNIT_NOT_FOUND')) throw error;
    }
  }

  private async status(name: UnitName): Promise<UnitStatus | undefined> {
    try {
      return await this.options.manager.getUnitProperties(name);
    } catch (error) {
      if (hasErrorCode(error, 'ERR_UNIT_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  /** A loaded unit that is not running (failed, or inactive and not yet collected) is reset. */
  private async clearLeftover(name: UnitName): Promise<void> {
    const status = await this.status(name);
    if (status === undefined || isUnitUp(status) || status.activeState === 'deactivating') return;
    try {
      await this.options.manager.resetFailedUnit(name);
    } catch (error) {
      if (!hasErrorCode(error, 'ERR_UNIT_NOT_FOUND')) throw error;
    }
  }
}
