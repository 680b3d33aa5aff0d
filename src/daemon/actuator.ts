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
import type { FetchSettings } from '../image/index.js';
import type { PodPlan, PodUuid, PreparedPod, RuntimeContext } from '../pod/index.js';
import { loadPodFilePreparer, podDown, podPath, podStore, podUnitNames, podUnits, readPodPlan, removePod, upForUnits } from '../pod/index.js';
import type { PodConfig, PodSpec, SpecHash } from '../podfile/index.js';
import type { SystemdManager, UnitName, UnitStatus } from '../systemd/index.js';
import { parseUnitName } from '../systemd/index.js';
import { hasErrorCode, runtimeFailure } from '../util/index.js';
import type { ActualPod } from './actual.js';
import { POD_FILE_ENV, isUnitUp, readActualPod } from './actual.js';
import type { PodFileKey } from './pod-dir.js';

export interface ActuatorOptions {
  readonly manager: SystemdManager;
  /** The runtime core's context in this process (host mount and network namespaces). */
  readonly runtime: RuntimeContext;
  readonly fetchSettings: FetchSettings;
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
    return preparePodSpec(this.options.runtime, spec, hash, { fetchSettings: this.options.fetchSettings, stage1: 'crun', ...(config === undefined ? {} : { config }) });
  }

  /** Removes a prepared pod that will not be started (its file changed while it was pulled). */
  async discard(uuid: PodUuid): Promise<void> {
    // A prepared pod holds nothing outside its directory yet.
    await removePod(podStore(this.options.runtime.dataDir), uuid);
  }

  /**
   * Starts prepared pod `uuid`: brings it up and prepares its apps in this process (the same
   * runtime-core code the units run, without their two Node starts), then starts its units,
   * whose first start skips that work, and moves the pod's lock holder into the sandbox unit.
   * Resolves when every start job finished. `fresh`: the caller read the pod's units just before
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
      preparedByCaller: true,
    });
    const all = [units.sandbox, ...units.apps];
    try {
      if (options.fresh !== true) await Promise.all(all.map((unit) => this.clearLeftover(unit.name)));
    } catch (error) {
      await podDown(runtime, uuid);
      throw error;
    }
    // One call per unit, back to back; systemd orders the jobs by After=/Requires=.
    const jobs = all.map(async (unit) => ({ unit: unit.name, outcome: await manager.startTransientUnit(unit.name, unit.properties) }));
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
   * Starts app `app` of running pod `actual` again after systemd gave up on it (start-limit-hit):
   * its failed unit is reset (which also clears systemd's start counter) and started anew from
   * the pod's plan, preparing a fresh rootfs. A reset unit that systemd has not collected yet is
   * simply started.
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
    });
    const unit = units.apps.find((candidate) => candidate.app === app);
    if (unit === undefined) return;
    await this.clearLeftover(unit.name);
    let outcome;
    try {
      outcome = await manager.startTransientUnit(unit.name, unit.properties);
    } catch (error) {
      if (!hasErrorCode(error, 'ERR_UNIT_EXISTS')) throw error;
      outcome = await manager.startUnit(unit.name);
    }
    if (outcome.result !== 'done') {
      throw runtimeFailure('ERR_DAEMON_START_FAILED', `pod "${actual.pod}": restarting ${unit.name} failed (${outcome.result})`, { hint: `journalctl -u ${unit.name}` });
    }
  }

  /** Stops every unit of `actual` (apps first, by their BindsTo= on the sandbox) and forgets failed ones. */
  async stop(actual: ActualPod): Promise<void> {
    const units = [...actual.apps.values(), ...(actual.sandbox === undefined ? [] : [actual.sandbox])];
    await Promise.all(units.map((unit) => this.stopUnit(unit)));
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
