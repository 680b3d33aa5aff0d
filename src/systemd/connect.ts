/**
 * @module systemd/connect — opening a SystemdManager: bus, match rules, Subscribe.
 *
 * One connection carries one subscription: a match for the Manager's signals, one
 * path_namespace match for PropertiesChanged of every unit object, and Manager.Subscribe()
 * so systemd emits unit signals for jobs other clients queue too.
 */
import { type RockletError, isRockletError } from '../util/index.js';
import { type BusSignal, BusConnection, DEFAULT_SYSTEM_BUS_ADDRESS } from './bus.js';
import { mapDBusError } from './errors.js';
import { EventHub, MANAGER_INTERFACE, MANAGER_PATH, PROPERTIES_INTERFACE, decodeSignal } from './events.js';
import { JobTracker } from './jobs.js';
import { SystemdManager } from './manager.js';
import { type ObjectPath, UNIT_PATH_PREFIX } from './unit-name.js';

const SYSTEMD_BUS_NAME = 'org.freedesktop.systemd1';

/** The match rules of the one subscription. */
export const MATCH_RULES = [
  `type='signal',sender='${SYSTEMD_BUS_NAME}',path='${MANAGER_PATH}',interface='${MANAGER_INTERFACE}'`,
  `type='signal',sender='${SYSTEMD_BUS_NAME}',interface='${PROPERTIES_INTERFACE}',member='PropertiesChanged',` +
    `path_namespace='${UNIT_PATH_PREFIX.slice(0, -1)}'`,
] as const;

export interface ConnectSystemdOptions {
  /** D-Bus address; default `$DBUS_SYSTEM_BUS_ADDRESS`, else `unix:path=/run/dbus/system_bus_socket`. */
  readonly address?: string;
  /** Limit for connecting and for each method call; default 25 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The bus address `connectSystemd` uses for `options`. */
export function systemBusAddress(options: Pick<ConnectSystemdOptions, 'address'> = {}): string {
  const fromEnv = process.env['DBUS_SYSTEM_BUS_ADDRESS'];
  return options.address ?? (fromEnv === undefined || fromEnv === '' ? DEFAULT_SYSTEM_BUS_ADDRESS : fromEnv);
}

function routeSignal(signal: BusSignal, jobs: JobTracker, hub: EventHub): void {
  let event;
  try {
    event = decodeSignal(signal);
  } catch (error) {
    if (!isRockletError(error)) {
      // A bug, not a protocol problem: surface it, but outside dbus-next's dispatch, which
      // would otherwise swallow it and drop the message.
      queueMicrotask(() => {
        throw error;
      });
      return;
    }
    // Keep a waiter of this job from hanging on a result it cannot decode.
    const job = signal.member === 'JobRemoved' ? signal.body[1] : undefined;
    if (typeof job === 'string') jobs.jobRemoved(job as ObjectPath, error);
    hub.emit({ type: 'protocol-error', error, path: signal.path, member: signal.member, sequence: signal.sequence });
    return;
  }
  if (event === undefined) return;
  if (event.type === 'job-removed') jobs.jobRemoved(event.job, event.result);
  hub.emit(event);
}

/**
 * Connects to systemd over the system bus and subscribes to its signals. dbus-next is loaded
 * here, not at import time, so commands that never talk to systemd start fast.
 * @throws RockletError unavailable `ERR_DBUS_UNAVAILABLE` / `ERR_DBUS_TIMEOUT` when no bus answers,
 * permission-denied `ERR_DBUS_ACCESS_DENIED`, invalid-argument `ERR_DBUS_ADDRESS_INVALID`.
 */
export async function connectSystemd(options: ConnectSystemdOptions = {}): Promise<SystemdManager> {
  const bus = await BusConnection.open({
    address: systemBusAddress(options),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const jobs = new JobTracker();
  const hub = new EventHub();
  bus.onSignal((signal) => routeSignal(signal, jobs, hub));
  bus.onLost((error: RockletError) => {
    jobs.fail(error);
    hub.end(error);
  });
  try {
    const addMatch = (rule: string) =>
      bus.call({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'AddMatch',
        signature: 's',
        body: [rule],
      });
    await Promise.all([
      ...MATCH_RULES.map(addMatch),
      bus.call({ path: MANAGER_PATH, interface: MANAGER_INTERFACE, member: 'Subscribe' }),
    ]);
  } catch (error) {
    await bus.close();
    throw mapDBusError(error, { operation: 'subscribe to systemd signals' });
  }
  return new SystemdManager(bus, jobs, hub);
}
