/**
 * @module systemd/events — systemd signals as typed events, for listeners or async iteration.
 *
 * Sources: the Manager's JobRemoved / UnitNew / UnitRemoved, and PropertiesChanged of every
 * object under /org/freedesktop/systemd1/unit (one AddMatch with path_namespace, set up by the
 * manager, because a per-unit proxy cannot exist before its unit). Delivery is synchronous and
 * in arrival order; `sequence` orders events against method replies.
 */
import type { RockletError } from '../util/index.js';
import type { BusSignal } from './bus.js';
import { type ObjectPath, type UnitName, isUnitName, unitNameFromObjectPath } from './unit-name.js';
import { type UnitChanges, decodeUnitChanges, variantValues } from './unit-status.js';
import { type JobResult, parseJobResult } from './unit-state.js';

export const MANAGER_PATH = '/org/freedesktop/systemd1';
export const MANAGER_INTERFACE = 'org.freedesktop.systemd1.Manager';
export const PROPERTIES_INTERFACE = 'org.freedesktop.DBus.Properties';

/** A unit's properties changed; `changes` holds the decoded ones this facade knows. */
export interface UnitChangedEvent {
  readonly type: 'unit-changed';
  readonly unit: UnitName;
  /** The D-Bus interface whose properties changed, e.g. `org.freedesktop.systemd1.Service`. */
  readonly interfaceName: string;
  readonly changes: UnitChanges;
  readonly sequence: number;
}

export interface JobRemovedEvent {
  readonly type: 'job-removed';
  readonly jobId: number;
  readonly job: ObjectPath;
  readonly unit: UnitName;
  readonly result: JobResult;
  readonly sequence: number;
}

export interface UnitNewEvent {
  readonly type: 'unit-new';
  readonly unit: UnitName;
  readonly sequence: number;
}

export interface UnitRemovedEvent {
  readonly type: 'unit-removed';
  readonly unit: UnitName;
  readonly sequence: number;
}

/**
 * A signal this facade knows arrived with a value it cannot decode (e.g. a sub-state added by a
 * newer systemd). Reported rather than dropped so a daemon can log it.
 */
export interface ProtocolErrorEvent {
  readonly type: 'protocol-error';
  readonly error: RockletError;
  readonly path: string;
  readonly member: string;
  readonly sequence: number;
}

/** The connection is gone; no event follows. */
export interface DisconnectedEvent {
  readonly type: 'disconnected';
  readonly error: RockletError;
}

export type SystemdEvent =
  | UnitChangedEvent
  | JobRemovedEvent
  | UnitNewEvent
  | UnitRemovedEvent
  | ProtocolErrorEvent
  | DisconnectedEvent;
export type SystemdEventListener = (event: SystemdEvent) => void;

/**
 * Decodes a bus signal into an event, or undefined for signals this facade does not model
 * (and for units whose names it does not accept, e.g. device units).
 * @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` when a known signal has a malformed body.
 */
export function decodeSignal(signal: BusSignal): SystemdEvent | undefined {
  const { body, sequence } = signal;
  if (signal.interface === PROPERTIES_INTERFACE && signal.member === 'PropertiesChanged') {
    const unit = unitNameFromObjectPath(signal.path);
    const [interfaceName, changed] = body;
    if (unit === undefined || typeof interfaceName !== 'string') return undefined;
    return { type: 'unit-changed', unit, interfaceName, changes: decodeUnitChanges(variantValues(changed)), sequence };
  }
  if (signal.interface !== MANAGER_INTERFACE || signal.path !== MANAGER_PATH) return undefined;
  const [first, second, third, fourth] = body;
  switch (signal.member) {
    case 'JobRemoved':
      if (typeof first !== 'number' || typeof second !== 'string' || typeof third !== 'string') return undefined;
      if (!isUnitName(third)) return undefined;
      return { type: 'job-removed', jobId: first, job: second as ObjectPath, unit: third, result: parseJobResult(fourth), sequence };
    case 'UnitNew':
    case 'UnitRemoved':
      if (typeof first !== 'string' || !isUnitName(first)) return undefined;
      return { type: signal.member === 'UnitNew' ? 'unit-new' : 'unit-removed', unit: first, sequence };
    default:
      return undefined;
  }
}

/** Options of a subscription. */
export interface SubscribeOptions {
  /** Ends the subscription (an iterator then returns normally). */
  readonly signal?: AbortSignal;
}

/** Fans events out to listeners; a throwing listener is reported as an uncaught exception. */
export class EventHub {
  private readonly listeners = new Set<SystemdEventListener>();
  private ended: RockletError | undefined;

  /** Adds a listener; returns its removal. A listener added after disconnect is told at once. */
  subscribe(listener: SystemdEventListener, options: SubscribeOptions = {}): () => void {
    const { signal } = options;
    if (signal?.aborted === true) return () => undefined;
    if (this.ended !== undefined) {
      const error = this.ended;
      queueMicrotask(() => listener({ type: 'disconnected', error }));
      return () => undefined;
    }
    this.listeners.add(listener);
    const remove = (): void => {
      this.listeners.delete(listener);
      signal?.removeEventListener('abort', remove);
    };
    signal?.addEventListener('abort', remove, { once: true });
    return remove;
  }

  /**
   * Events as an async iterator with an unbounded buffer. It returns as soon as `signal`
   * aborts (buffered events are dropped) and throws the connection's error after a disconnect.
   */
  events(options: SubscribeOptions = {}): AsyncIterableIterator<SystemdEvent> {
    const queue: SystemdEvent[] = [];
    let wake: (() => void) | undefined;
    let stopped = false;
    const stop = (): void => {
      stopped = true;
      unsubscribe();
      wake?.();
    };
    const unsubscribe = this.subscribe((event) => {
      queue.push(event);
      wake?.();
    }, options);
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted === true) stopped = true;
    const next = async (): Promise<IteratorResult<SystemdEvent>> => {
      for (;;) {
        // An abort ends the iteration at once, even with events still buffered.
        if (stopped) return { value: undefined, done: true };
        const event = queue.shift();
        if (event?.type === 'disconnected') {
          stop();
          throw event.error;
        }
        if (event !== undefined) return { value: event, done: false };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    };
    const iterator: AsyncIterableIterator<SystemdEvent> = {
      next,
      return: () => {
        stop();
        options.signal?.removeEventListener('abort', stop);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Delivers one event to every listener, in subscription order. */
  emit(event: SystemdEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        // A listener bug must not break bus dispatch (dbus-next would drop the message);
        // rethrow outside it so the process sees it like any EventEmitter listener error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Tells every listener the connection is gone and refuses new ones. */
  end(error: RockletError): void {
    if (this.ended !== undefined) return;
    this.ended = error;
    this.emit({ type: 'disconnected', error });
    this.listeners.clear();
  }
}
