/**
 * @module systemd/bus — one dbus-next connection, made safe.
 *
 * dbus-next 0.10.2 has three traps this wrapper closes (machine-facts §1–2):
 * - it emits `error` on the bus AND, if the `Hello` call fails, rejects a promise nobody holds;
 * - pending calls never settle when the socket dies, and stream `end` is not forwarded;
 * - a signal parsed in the same chunk as a method reply is dispatched before the reply's
 *   `await` continuation runs.
 * Every message gets an arrival `sequence` so callers can order replies against signals.
 * Loss of the connection turns every pending and later call into `ERR_DBUS_UNAVAILABLE`.
 */
import type * as DBus from 'dbus-next';
import type { DBusError, Message, MessageBus, Variant } from 'dbus-next';
import { invalidArgument, unavailable, type RockletError } from '../util/index.js';
import { abortReason, asError } from './abort.js';
import { SYSTEMD_ERROR_CODES, isDBusError } from './errors.js';

type DBusModule = typeof DBus;

// The D-Bus wire values of the message types (dbus-next's .d.ts numbers them from 0, wrongly).
const METHOD_RETURN = 2;
const ERROR = 3;
const SIGNAL = 4;

/** The default of libdbus and busctl for a method call. */
export const DEFAULT_CALL_TIMEOUT_MS = 25_000;
/** Where the system bus lives when `DBUS_SYSTEM_BUS_ADDRESS` is unset. */
export const DEFAULT_SYSTEM_BUS_ADDRESS = 'unix:path=/run/dbus/system_bus_socket';

export interface BusCall {
  readonly destination?: string;
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  readonly signature?: string;
  readonly body?: readonly unknown[];
  readonly timeoutMs?: number;
}

export interface BusReply {
  readonly body: readonly unknown[];
  /** Arrival order of the reply among all incoming messages. */
  readonly sequence: number;
}

export interface BusSignal {
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  readonly body: readonly unknown[];
  readonly sequence: number;
}

export interface BusOpenOptions {
  /** A D-Bus address such as `unix:path=/run/dbus/system_bus_socket`. */
  readonly address: string;
  /** Limit for connecting and the default limit of each call. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

// Private state of dbus-next's MessageBus that the traps above force us to touch; pinned 0.10.2.
interface MessageBusInternals {
  _methodReturnHandlers: Record<string, unknown>;
  _connection: { stream: NodeJS.EventEmitter & { destroy(): void; readonly writable: boolean } };
  name: string | null;
}

/** Rejects addresses dbus-next would throw on synchronously (or silently misparse). */
export function checkBusAddress(address: string): string {
  if (!/^(unix|tcp):[^=,;]+=[^;]*$/.test(address)) {
    throw invalidArgument('ERR_DBUS_ADDRESS_INVALID', `invalid d-bus address "${address}"`, {
      hint: 'use unix:path=/path/to/socket (one address, no ";" list)',
    });
  }
  return address;
}

interface Pending {
  readonly reject: (error: RockletError) => void;
}

/**
 * Method calls awaiting a reply at once on one connection. dbus-daemon refuses a connection's
 * calls past `max_replies_per_connection` (128 by default) with LimitsExceeded, and a busy
 * systemd answers slowly: a liveness restart storm of 500 pods reached it and its restarts
 * failed. Calls past this many wait their turn here (their timeout starts when they are sent).
 */
export const MAX_CALLS_IN_FLIGHT = 64;

/** A connected bus. Create with {@link BusConnection.open}; never throws an unhandled rejection. */
export class BusConnection {
  readonly address: string;
  private readonly timeoutMs: number;
  private readonly dbus: DBusModule;
  private readonly bus: MessageBus;
  private readonly internals: MessageBusInternals;
  private readonly pending = new Set<Pending>();
  private readonly replySequence = new Map<number, number>();
  private readonly errorSequences = new WeakMap<object, number>();
  private readonly signalListeners = new Set<(signal: BusSignal) => void>();
  private readonly lostListeners = new Set<(error: RockletError) => void>();
  private sequence = 0;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private lostError: RockletError | undefined;
  private readonly closed: Promise<void>;

  private constructor(dbus: DBusModule, address: string, timeoutMs: number) {
    this.dbus = dbus;
    this.address = address;
    this.timeoutMs = timeoutMs;
    this.bus = dbus.sessionBus({ busAddress: address });
    this.internals = this.bus as unknown as MessageBusInternals;
    const stream = this.internals._connection.stream;
    const helloSerial = Object.keys(this.internals._methodReturnHandlers)[0];
    this.closed = new Promise((resolve) => stream.once('close', () => resolve()));
    this.bus.on('error', (error: unknown) => this.lose(error));
    stream.on('close', () => this.lose(new Error('the bus closed the connection')));
    // Runs before dbus-next's own dispatch of the same message (bus.js emits 'message' first).
    this.bus.on('message', (message: Message) => this.onMessage(message, helloSerial));
  }

  /**
   * Loads dbus-next, connects and completes `Hello`.
   * @throws RockletError unavailable `ERR_DBUS_UNAVAILABLE` (or `ERR_DBUS_TIMEOUT`) when no bus answers.
   */
  static async open(options: BusOpenOptions): Promise<BusConnection> {
    const address = checkBusAddress(options.address);
    const dbus = await import('dbus-next');
    const connection = new BusConnection(dbus, address, options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    try {
      await connection.whenConnected(connection.timeoutMs, options.signal);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  }

  /** The error that ended the connection, if it has ended. */
  get lost(): RockletError | undefined {
    return this.lostError;
  }

  /** Wraps a value for a `v` slot (dbus-next needs its own Variant class). */
  variant<T>(signature: string, value: T): Variant<T> {
    return new this.dbus.Variant<T>(signature, value);
  }

  /**
   * Calls a method and resolves with its reply body. D-Bus errors reject with dbus-next's
   * DBusError (map them with mapDBusError); a lost connection or timeout with a RockletError.
   */
  call(call: BusCall): Promise<BusReply> {
    if (this.lostError !== undefined) return Promise.reject(this.lostError);
    let message: Message;
    try {
      message = new this.dbus.Message({
        destination: call.destination ?? 'org.freedesktop.systemd1',
        path: call.path,
        interface: call.interface,
        member: call.member,
        ...(call.signature === undefined ? {} : { signature: call.signature }),
        body: [...(call.body ?? [])],
      });
    } catch (error) {
      // dbus-next validates paths and names synchronously; keep the promise contract.
      return Promise.reject(asError(error));
    }
    return new Promise<BusReply>((resolve, reject) => {
      const timeoutMs = call.timeoutMs ?? this.timeoutMs;
      const entry: Pending = { reject: (error) => settle(() => reject(error)) };
      let timer: NodeJS.Timeout | undefined;
      const settle = (finish: () => void): void => {
        if (!this.pending.delete(entry)) return;
        clearTimeout(timer);
        finish();
      };
      const send = (): void => {
        // Rejected while it waited (the connection was lost or closed): nothing to send.
        if (!this.pending.has(entry)) return;
        this.inFlight += 1;
        timer = setTimeout(() => {
          entry.reject(
            unavailable(SYSTEMD_ERROR_CODES.timeout, `d-bus call ${call.interface}.${call.member} got no reply in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        this.bus.call(message).then(
          (reply) => {
            this.replied();
            const sequence = this.replySequence.get(message.serial ?? -1) ?? this.sequence;
            this.replySequence.delete(message.serial ?? -1);
            settle(() => resolve({ body: reply?.body ?? [], sequence }));
          },
          (error: DBusError | Error) => {
            this.replied();
            // A write to a socket that is closing fails locally before 'close' is emitted:
            // that is a lost connection, not a bad argument.
            if (!isDBusError(error) && !this.internals._connection.stream.writable) return this.lose(error);
            const sequence = this.replySequence.get(message.serial ?? -1);
            this.replySequence.delete(message.serial ?? -1);
            if (sequence !== undefined) this.errorSequences.set(error, sequence);
            settle(() => reject(error));
          },
        );
      };
      this.pending.add(entry);
      if (this.inFlight < MAX_CALLS_IN_FLIGHT) send();
      else this.waiting.push(send);
    });
  }

  /** A sent call got its answer (or failed): the next waiting call goes out. */
  private replied(): void {
    this.inFlight -= 1;
    while (this.inFlight < MAX_CALLS_IN_FLIGHT) {
      const next = this.waiting.shift();
      if (next === undefined) return;
      next();
    }
  }

  /** The arrival sequence of the D-Bus error reply `error`, if it was one. */
  sequenceOf(error: unknown): number | undefined {
    return typeof error === 'object' && error !== null ? this.errorSequences.get(error) : undefined;
  }

  /** Adds a listener for every incoming signal; returns its removal. Listeners must not throw. */
  onSignal(listener: (signal: BusSignal) => void): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /** Adds a listener called once when the connection is lost or closed. */
  onLost(listener: (error: RockletError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Closes the connection; pending calls reject with `ERR_DBUS_UNAVAILABLE`. Idempotent. */
  async close(): Promise<void> {
    this.lose(new Error('the connection was closed by this process'));
    this.bus.disconnect();
    const timer = setTimeout(() => this.internals._connection.stream.destroy(), 1000);
    await this.closed;
    clearTimeout(timer);
  }

  private destroy(): void {
    this.lose(new Error('the connection attempt was abandoned'));
    this.internals._connection.stream.destroy();
  }

  private whenConnected(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.lostError !== undefined) return reject(this.lostError);
      if (signal?.aborted === true) return reject(abortReason(signal));
      const cleanup = (): void => {
        clearTimeout(timer);
        this.bus.removeListener('connect', onConnect);
        removeLost();
        signal?.removeEventListener('abort', onAbort);
      };
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal === undefined ? new Error('aborted') : abortReason(signal));
      };
      const removeLost = this.onLost((error) => {
        cleanup();
        reject(error);
      });
      const timer = setTimeout(() => {
        cleanup();
        reject(unavailable(SYSTEMD_ERROR_CODES.timeout, `d-bus at ${this.address} did not answer Hello in ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.bus.once('connect', onConnect);
    });
  }

  private onMessage(message: Message, helloSerial: string | undefined): void {
    const sequence = ++this.sequence;
    const type = message.type as number;
    if (type === METHOD_RETURN || type === ERROR) {
      const replySerial = String(message.replySerial);
      if (type === ERROR && replySerial === helloSerial && this.internals.name === null) {
        // dbus-next would reject its Hello promise with no handler attached; take the handler
        // away (its dispatch runs right after this listener) and fail the connection ourselves.
        delete this.internals._methodReturnHandlers[replySerial];
        const body: unknown[] = message.body;
        this.lose(new Error(`the peer refused Hello: ${message.errorName}: ${String(body[0])}`));
        return;
      }
      this.replySequence.set(Number(replySerial), sequence);
      return;
    }
    if (type !== SIGNAL) return;
    const signal: BusSignal = {
      path: message.path,
      interface: message.interface,
      member: message.member,
      body: message.body,
      sequence,
    };
    for (const listener of this.signalListeners) listener(signal);
  }

  private lose(cause: unknown): void {
    if (this.lostError !== undefined) return;
    const detail = cause instanceof Error ? cause.message : String(cause);
    const error = unavailable(SYSTEMD_ERROR_CODES.unavailable, `d-bus connection to ${this.address} failed: ${detail}`, {
      cause,
      hint: 'check that dbus-daemon runs and DBUS_SYSTEM_BUS_ADDRESS points at its socket',
    });
    this.lostError = error;
    for (const entry of [...this.pending]) entry.reject(error);
    this.waiting.length = 0;
    this.replySequence.clear();
    for (const listener of [...this.lostListeners]) listener(error);
    this.lostListeners.clear();
  }
}
