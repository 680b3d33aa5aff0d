/**
 * @module systemd/manager — the typed facade over org.freedesktop.systemd1.Manager.
 *
 * D-Bus objects used: /org/freedesktop/systemd1 (Manager methods and signals) and
 * /org/freedesktop/systemd1/unit/* (Properties.GetAll, PropertiesChanged). Calls that queue a
 * job resolve when the job is finished, with its result. Every error is a RockletError.
 */
import { internalError, invalidArgument, notFound } from '../util/index.js';
import type { BusConnection } from './bus.js';
import { type ErrorContext, SYSTEMD_ERROR_CODES, isDBusError, mapDBusError } from './errors.js';
import {
  type EventHub,
  type SubscribeOptions,
  type SystemdEvent,
  type SystemdEventListener,
  MANAGER_INTERFACE,
  MANAGER_PATH,
  PROPERTIES_INTERFACE,
} from './events.js';
import type { JobTracker } from './jobs.js';
import { type UnitProperties, buildUnitProperties } from './properties.js';
import { signalNumber } from './property-values.js';
import { type ObjectPath, type UnitName, parseUnitPattern } from './unit-name.js';
import { type UnitListEntry, type UnitStateFilter, decodeUnitList } from './unit-list.js';
import type { JobResult } from './unit-state.js';
import { type ListedUnitField, type UnitStatus, decodeUnitStatus, interfaceOf, propertyOf, statusOfListed, variantValue, variantValues } from './unit-status.js';
import { type StatusSnapshot, type UnitStatePredicate, type WaitForUnitStateOptions, waitForUnitState } from './wait.js';

/** The interface of a service unit's own properties (Environment=, NRestarts, Result). */

/** How a new job treats jobs already queued (systemctl's --job-mode). */
export const JOB_MODES = [
  'replace',
  'fail',
  'isolate',
  'ignore-dependencies',
  'ignore-requirements',
  'replace-irreversibly',
  'flush',
  'triggering',
] as const;
export type JobMode = (typeof JOB_MODES)[number];

/** Which processes KillUnit signals. */
export const KILL_TARGETS = ['main', 'control', 'all'] as const;
export type KillTarget = (typeof KILL_TARGETS)[number];

/** A finished job. `result` is `done` on success; anything else is for the caller to judge. */
export interface JobOutcome {
  readonly job: ObjectPath;
  readonly result: JobResult;
}

export interface JobOptions {
  readonly mode?: JobMode;
  /** Stops waiting (rejects with `signal.reason`); the job itself keeps running. */
  readonly signal?: AbortSignal;
}

function objectPath(value: unknown, context: ErrorContext): ObjectPath {
  if (typeof value !== 'string' || !value.startsWith('/')) {
    const what = context.unit === undefined ? context.operation : `${context.operation} ${context.unit}`;
    throw internalError('ERR_SYSTEMD_PROTOCOL', `${what}: systemd replied ${String(value)} instead of an object path`);
  }
  return value as ObjectPath;
}

/** A connection to systemd's Manager. Create with `connectSystemd()`; `close()` when done. */
export class SystemdManager {
  private readonly bus: BusConnection;
  private readonly jobs: JobTracker;
  private readonly hub: EventHub;

  /** @internal Use `connectSystemd()`. */
  constructor(bus: BusConnection, jobs: JobTracker, hub: EventHub) {
    this.bus = bus;
    this.jobs = jobs;
    this.hub = hub;
  }

  /** The D-Bus address this manager is connected to. */
  get address(): string {
    return this.bus.address;
  }

  /**
   * Creates and starts a transient unit, resolving when its start job has finished.
   * For Type=simple the job is `done` once the process is forked; use Type=exec to see exec failures here.
   * @throws RockletError `ERR_UNIT_INVALID` (bad properties, before any I/O), `ERR_UNIT_EXISTS`,
   * `ERR_DBUS_ACCESS_DENIED`, `ERR_DBUS_UNAVAILABLE`.
   */
  async startTransientUnit(name: UnitName, props: UnitProperties, options: JobOptions = {}): Promise<JobOutcome> {
    const entries = buildUnitProperties(props).map(([key, signature, value]) => [key, this.bus.variant(signature, value)]);
    const aux: unknown[] = [];
    return this.runJob({ operation: 'start transient unit', unit: name }, options, {
      member: 'StartTransientUnit',
      signature: 'ssa(sv)a(sa(sv))',
      body: [name, options.mode ?? 'fail', entries, aux],
    });
  }

  /**
   * Creates transient unit `name` and queues its start job, resolving once systemd accepted
   * the job, not when it finished: for a unit whose start waits on others (an app behind a
   * oneshot init unit can wait minutes); its outcome shows in the unit's state.
   */
  async queueTransientUnit(name: UnitName, props: UnitProperties): Promise<ObjectPath> {
    const entries = buildUnitProperties(props).map(([key, signature, value]) => [key, this.bus.variant(signature, value)]);
    const context = { operation: 'start transient unit', unit: name };
    const reply = await this.managerCall(context, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', [name, 'fail', entries, []]);
    return objectPath(reply[0], context);
  }

  /**
   * Starts a loaded unit (e.g. a failed transient unit again), resolving when the job has finished.
   * @throws RockletError not-found `ERR_UNIT_NOT_FOUND` when the unit is not loaded.
   */
  startUnit(name: UnitName, options: JobOptions = {}): Promise<JobOutcome> {
    return this.runJob({ operation: 'start unit', unit: name }, options, {
      member: 'StartUnit',
      signature: 'ss',
      body: [name, options.mode ?? 'replace'],
    });
  }

  /**
   * Stops a unit, resolving when the stop job has finished.
   * @throws RockletError not-found `ERR_UNIT_NOT_FOUND` when the unit is not loaded.
   */
  stopUnit(name: UnitName, options: JobOptions = {}): Promise<JobOutcome> {
    return this.runJob({ operation: 'stop unit', unit: name }, options, {
      member: 'StopUnit',
      signature: 'ss',
      body: [name, options.mode ?? 'replace'],
    });
  }

  /**
   * Sends `signal` to the unit's processes without queuing a job.
   * @throws RockletError not-found `ERR_UNIT_NOT_FOUND`; invalid-argument for a bad signal.
   */
  async killUnit(name: UnitName, who: KillTarget, signal: NodeJS.Signals | number): Promise<void> {
    const number = signalNumber('signal', signal);
    await this.managerCall({ operation: 'kill unit', unit: name }, 'KillUnit', 'ssi', [name, who, number]);
  }

  /**
   * Clears the failed state of a unit, which lets systemd unload it.
   * @throws RockletError not-found `ERR_UNIT_NOT_FOUND` when the unit is not loaded.
   */
  async resetFailedUnit(name: UnitName): Promise<void> {
    await this.managerCall({ operation: 'reset failed unit', unit: name }, 'ResetFailedUnit', 's', [name]);
  }

  /**
   * Moves running processes into an active unit's cgroup (systemd ≥ 238): a process started
   * outside a unit becomes the unit's, so stopping the unit kills it and its lifetime no longer
   * depends on its parent's unit.
   * @throws RockletError not-found `ERR_UNIT_NOT_FOUND`; `ERR_SYSTEMD_CALL_FAILED` when a PID is gone.
   */
  async attachProcessesToUnit(name: UnitName, pids: readonly number[]): Promise<void> {
    await this.managerCall({ operation: 'attach processes to unit', unit: name }, 'AttachProcessesToUnit', 'ssau', [name, '', [...pids]]);
  }

  /** Lists loaded units matching any of `patterns` (globs) and, if given, any of `states`. */
  async listUnitsByPatterns(states: readonly UnitStateFilter[], patterns: readonly string[]): Promise<UnitListEntry[]> {
    const globs = patterns.map(parseUnitPattern);
    const context = { operation: 'list units', unit: globs.join(' ') };
    const reply = await this.managerCall(context, 'ListUnitsByPatterns', 'asas', [[...states], globs]);
    return decodeUnitList(reply[0]);
  }

  /**
   * Reads a loaded unit's properties.
   * @throws RockletError not-found `ERR_UNIT_NOT_FOUND` when the unit is not loaded.
   */
  async getUnitProperties(name: UnitName): Promise<UnitStatus> {
    const { status, cause } = await this.readStatus(name);
    if (status !== undefined) return status;
    throw cause !== undefined
      ? mapDBusError(cause, { operation: 'get unit properties', unit: name })
      : notFound(SYSTEMD_ERROR_CODES.unitNotFound, `get unit properties ${name}: unit not loaded`);
  }

  /**
   * The status of a unit from a listing, with only `fields` read (one Properties.Get each, at the
   * path the listing gave): the other fields are undefined. A GetAll decodes ~350 properties;
   * the daemon's start-up read of 2,000 units needs three of them. undefined when the unit is gone.
   */
  async getListedUnitStatus(entry: UnitListEntry, fields: readonly ListedUnitField[]): Promise<UnitStatus | undefined> {
    const context = { operation: 'get unit properties', unit: entry.name };
    const values = new Map<ListedUnitField, unknown>();
    for (const field of fields) {
      try {
        const reply = await this.bus.call({
          path: entry.objectPath, interface: PROPERTIES_INTERFACE, member: 'Get', signature: 'ss', body: [interfaceOf(field), propertyOf(field)],
        });
        values.set(field, variantValue(reply.body[0]));
      } catch (error) {
        if (isDBusError(error) && (error.type === 'org.freedesktop.DBus.Error.UnknownObject' || error.type === 'org.freedesktop.DBus.Error.UnknownProperty' || error.type === 'org.freedesktop.DBus.Error.UnknownInterface')) return undefined;
        throw mapDBusError(error, context);
      }
    }
    return statusOfListed(entry, values);
  }

  /** Calls `listener` for every event (see {@link SystemdEvent}) until the returned function is called or `signal` aborts. */
  subscribe(listener: SystemdEventListener, options: SubscribeOptions = {}): () => void {
    return this.hub.subscribe(listener, options);
  }

  /** Events as an async iterator; returns on `signal` abort, throws after a disconnect. */
  events(options: SubscribeOptions = {}): AsyncIterableIterator<SystemdEvent> {
    return this.hub.events(options);
  }

  /**
   * Resolves with the first status of `name` (undefined = not loaded) accepted by `predicate`.
   * Event-driven; see {@link waitForUnitState}.
   */
  waitForUnitState(
    name: UnitName,
    predicate: UnitStatePredicate,
    options: WaitForUnitStateOptions = {},
  ): Promise<UnitStatus | undefined> {
    return waitForUnitState({ hub: this.hub, read: (unit) => this.readStatus(unit) }, name, predicate, options);
  }

  /** Closes the connection. Pending calls and waits reject with `ERR_DBUS_UNAVAILABLE`. */
  close(): Promise<void> {
    return this.bus.close();
  }

  private async runJob(
    context: ErrorContext,
    options: JobOptions,
    call: { member: string; signature: string; body: unknown[] },
  ): Promise<JobOutcome> {
    if (options.mode !== undefined && !(JOB_MODES as readonly string[]).includes(options.mode)) {
      throw invalidArgument('ERR_UNIT_INVALID', `${context.operation} ${context.unit ?? ''}: unknown job mode "${options.mode}"`);
    }
    // The ticket must exist before the call is sent: JobRemoved may beat the reply (see jobs.ts).
    const ticket = this.jobs.begin();
    let job: ObjectPath;
    try {
      const reply = await this.managerCall(context, call.member, call.signature, call.body);
      job = objectPath(reply[0], context);
    } catch (error) {
      this.jobs.release(ticket);
      throw error;
    }
    const result = await this.jobs.wait(ticket, job, options.signal);
    return { job, result };
  }

  private async managerCall(context: ErrorContext, member: string, signature: string, body: unknown[]): Promise<readonly unknown[]> {
    try {
      const reply = await this.bus.call({ path: MANAGER_PATH, interface: MANAGER_INTERFACE, member, signature, body });
      return reply.body;
    } catch (error) {
      throw mapDBusError(error, context);
    }
  }

  private async readStatus(name: UnitName): Promise<StatusSnapshot & { readonly cause?: unknown }> {
    const context = { operation: 'get unit properties', unit: name };
    let path: ObjectPath;
    try {
      const reply = await this.bus.call({ path: MANAGER_PATH, interface: MANAGER_INTERFACE, member: 'GetUnit', signature: 's', body: [name] });
      path = objectPath(reply.body[0], context);
    } catch (error) {
      const sequence = this.bus.sequenceOf(error);
      if (isDBusError(error) && error.type === 'org.freedesktop.systemd1.NoSuchUnit' && sequence !== undefined) {
        return { status: undefined, sequence, cause: error };
      }
      throw mapDBusError(error, context);
    }
    try {
      // An empty interface name makes sd-bus return the properties of every interface at once.
      const reply = await this.bus.call({ path, interface: PROPERTIES_INTERFACE, member: 'GetAll', signature: 's', body: [''] });
      const status = decodeUnitStatus(name, variantValues(reply.body[0]));
      // Unloaded between GetUnit and GetAll: reading the path loaded a not-found stub.
      return { status: status.loadState === 'not-found' ? undefined : status, sequence: reply.sequence };
    } catch (error) {
      throw mapDBusError(error, context);
    }
  }
}
