/**
 * @module systemd/properties — typed unit properties and their `a(sv)` encoding.
 *
 * Callers describe a transient unit with {@link UnitProperties}; {@link buildUnitProperties}
 * validates it and yields `[name, signature, value]` entries whose signatures are the ones
 * systemd 252 accepts (machine-facts §2). No caller writes a D-Bus signature. The entries
 * are plain data; the bus layer wraps them in dbus-next Variants at call time.
 */
import { invalidArgument } from '../util/index.js';
import type { UnitName } from './unit-name.js';
import {
  type ExecCommand,
  type ExecTuple,
  checkAbsolutePath,
  checkBoolean,
  checkExecCommands,
  checkMember,
  checkText,
  checkUnitNames,
  encodeEnvironment,
  msToUsec,
  signalNumber,
  toUint64,
} from './property-values.js';

export const SERVICE_TYPES = ['simple', 'exec', 'forking', 'oneshot', 'dbus', 'notify', 'idle'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export const RESTART_POLICIES = [
  'no',
  'on-success',
  'on-failure',
  'on-abnormal',
  'on-watchdog',
  'on-abort',
  'always',
] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export const KILL_MODES = ['control-group', 'mixed', 'process', 'none'] as const;
export type KillMode = (typeof KILL_MODES)[number];

export const COLLECT_MODES = ['inactive', 'inactive-or-failed'] as const;
export type CollectMode = (typeof COLLECT_MODES)[number];

export const OUTPUT_TARGETS = ['inherit', 'null', 'tty', 'journal', 'kmsg', 'journal+console', 'kmsg+console'] as const;
export type OutputTarget = (typeof OUTPUT_TARGETS)[number];

/** A `t` quantity, or `'infinity'` for no limit. */
export type Uint64 = number | bigint | 'infinity';

/**
 * The properties of a transient unit. All fields are optional; durations are in milliseconds
 * (`…Ms`), sizes in bytes (`…Bytes`), CPU quota in µs per second as systemd stores it.
 */
export interface UnitProperties {
  readonly description?: string;
  readonly type?: ServiceType;
  readonly execStartPre?: readonly ExecCommand[];
  readonly execStart?: readonly ExecCommand[];
  readonly execStartPost?: readonly ExecCommand[];
  readonly execStop?: readonly ExecCommand[];
  readonly execStopPost?: readonly ExecCommand[];
  /** Variables for the processes, as `{ NAME: value }`. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly workingDirectory?: string;
  readonly remainAfterExit?: boolean;
  readonly restart?: RestartPolicy;
  readonly restartMs?: number;
  /** StartLimitIntervalSec= / StartLimitBurst=: more starts than the burst within the interval fail the unit (start-limit-hit). */
  readonly startLimitIntervalMs?: number | 'infinity';
  readonly startLimitBurst?: number;
  readonly timeoutStartMs?: number | 'infinity';
  readonly timeoutStopMs?: number | 'infinity';
  readonly runtimeMaxMs?: number | 'infinity';
  readonly killMode?: KillMode;
  readonly killSignal?: NodeJS.Signals | number;
  readonly sendSigkill?: boolean;
  readonly collectMode?: CollectMode;
  readonly slice?: UnitName;
  readonly defaultDependencies?: boolean;
  readonly requires?: readonly UnitName[];
  readonly wants?: readonly UnitName[];
  readonly bindsTo?: readonly UnitName[];
  readonly partOf?: readonly UnitName[];
  readonly after?: readonly UnitName[];
  readonly before?: readonly UnitName[];
  readonly memoryMaxBytes?: Uint64;
  readonly memoryHighBytes?: Uint64;
  readonly tasksMax?: Uint64;
  /** CPUQuota= as stored: 200_000 µs per second is `CPUQuota=20%`; see {@link cpuQuotaFromPercent}. */
  readonly cpuQuotaPerSecUSec?: Uint64;
  readonly delegate?: boolean;
  /** OOMScoreAdjust= (−1000…1000), set for every process of the unit before exec. */
  readonly oomScoreAdjust?: number;
  readonly privateMounts?: boolean;
  readonly privateTmp?: boolean;
  readonly standardOutput?: OutputTarget;
  readonly standardError?: OutputTarget;
  /**
   * LogExtraFields=: `{ FIELD: value }` added to every journal entry the unit's processes write
   * (field names as journald wants them: A–Z, 0–9, `_`, not starting with `_`).
   */
  readonly logExtraFields?: Readonly<Record<string, string>>;
}

/** One entry of the `a(sv)` array, typed by its signature. */
export type PropertyEntry =
  | readonly [name: string, signature: 's', value: string]
  | readonly [name: string, signature: 'b', value: boolean]
  | readonly [name: string, signature: 'i', value: number]
  | readonly [name: string, signature: 'u', value: number]
  | readonly [name: string, signature: 't', value: bigint]
  | readonly [name: string, signature: 'as', value: readonly string[]]
  | readonly [name: string, signature: 'aay', value: readonly Buffer[]]
  | readonly [name: string, signature: 'a(sasb)', value: readonly ExecTuple[]];

/** The D-Bus signatures a {@link PropertyEntry} can carry. */
export type PropertySignature = PropertyEntry[1];

type Encoders = { readonly [K in keyof UnitProperties]-?: (value: NonNullable<UnitProperties[K]>) => PropertyEntry };

const text = (name: string) => (value: string): PropertyEntry => [name, 's', checkText(name, value)];
const flag = (name: string) => (value: boolean): PropertyEntry => [name, 'b', checkBoolean(name, value)];
const exec = (name: string) => (value: readonly ExecCommand[]): PropertyEntry => [name, 'a(sasb)', checkExecCommands(name, value)];
const units = (name: string) => (value: readonly UnitName[]): PropertyEntry => [name, 'as', checkUnitNames(name, value)];
const uint64 = (name: string) => (value: Uint64): PropertyEntry => [name, 't', toUint64(name, value)];
const usec = (name: string) => (value: number | 'infinity'): PropertyEntry => [name, 't', msToUsec(name, value)];
const oneOf =
  <T extends string>(name: string, allowed: readonly T[]) =>
  (value: T): PropertyEntry => [name, 's', checkMember(name, allowed, value)];

// The mapped type makes a new UnitProperties field a compile error until it has an encoder;
// the key order here is the order of the emitted entries.
const ENCODERS: Encoders = {
  description: text('Description'),
  type: oneOf('Type', SERVICE_TYPES),
  execStartPre: exec('ExecStartPre'),
  execStart: exec('ExecStart'),
  execStartPost: exec('ExecStartPost'),
  execStop: exec('ExecStop'),
  execStopPost: exec('ExecStopPost'),
  environment: (value) => ['Environment', 'as', encodeEnvironment('Environment', value)],
  workingDirectory: (value) => ['WorkingDirectory', 's', checkAbsolutePath('WorkingDirectory', value)],
  remainAfterExit: flag('RemainAfterExit'),
  restart: oneOf('Restart', RESTART_POLICIES),
  restartMs: usec('RestartUSec'),
  startLimitIntervalMs: usec('StartLimitIntervalUSec'),
  startLimitBurst: (value) => {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw invalidArgument('ERR_UNIT_INVALID', `StartLimitBurst must be an unsigned 32-bit integer, not ${value}`);
    return ['StartLimitBurst', 'u', value];
  },
  timeoutStartMs: usec('TimeoutStartUSec'),
  timeoutStopMs: usec('TimeoutStopUSec'),
  runtimeMaxMs: usec('RuntimeMaxUSec'),
  killMode: oneOf('KillMode', KILL_MODES),
  killSignal: (value) => ['KillSignal', 'i', signalNumber('KillSignal', value)],
  sendSigkill: flag('SendSIGKILL'),
  collectMode: oneOf('CollectMode', COLLECT_MODES),
  slice: (value) => ['Slice', 's', checkUnitNames('Slice', [value], 'slice')[0] ?? value],
  defaultDependencies: flag('DefaultDependencies'),
  requires: units('Requires'),
  wants: units('Wants'),
  bindsTo: units('BindsTo'),
  partOf: units('PartOf'),
  after: units('After'),
  before: units('Before'),
  memoryMaxBytes: uint64('MemoryMax'),
  memoryHighBytes: uint64('MemoryHigh'),
  tasksMax: uint64('TasksMax'),
  cpuQuotaPerSecUSec: uint64('CPUQuotaPerSecUSec'),
  delegate: flag('Delegate'),
  oomScoreAdjust: (value) => {
    if (!Number.isInteger(value) || value < -1000 || value > 1000) throw invalidArgument('ERR_UNIT_INVALID', `OOMScoreAdjust must be an integer in −1000…1000, not ${value}`);
    return ['OOMScoreAdjust', 'i', value];
  },
  privateMounts: flag('PrivateMounts'),
  privateTmp: flag('PrivateTmp'),
  standardOutput: oneOf('StandardOutput', OUTPUT_TARGETS),
  standardError: oneOf('StandardError', OUTPUT_TARGETS),
  logExtraFields: (value) => ['LogExtraFields', 'aay', encodeLogExtraFields(value)],
};

const JOURNAL_FIELD = /^[A-Z0-9][A-Z0-9_]{0,63}$/;

function encodeLogExtraFields(fields: Readonly<Record<string, string>>): Buffer[] {
  return Object.entries(fields).map(([name, value]) => {
    if (!JOURNAL_FIELD.test(name)) throw invalidArgument('ERR_UNIT_INVALID', `LogExtraFields: "${name}" is not a journal field name (A-Z, 0-9, _; not starting with _)`);
    return Buffer.from(`${name}=${checkText(`LogExtraFields.${name}`, value)}`);
  });
}

function encodeOne<K extends keyof UnitProperties>(props: UnitProperties, key: K): PropertyEntry | undefined {
  const value = props[key];
  if (value === undefined) return undefined;
  const encode = ENCODERS[key] as (value: NonNullable<UnitProperties[K]>) => PropertyEntry;
  return encode(value);
}

/**
 * Validates `props` and returns the `a(sv)` entries for StartTransientUnit, in a fixed order.
 * @throws RockletError invalid-argument `ERR_UNIT_INVALID` naming the property and value.
 */
export function buildUnitProperties(props: UnitProperties): PropertyEntry[] {
  // TypeScript only rejects excess keys in literals; a misspelt key from a spread must not vanish.
  const unknown = Object.keys(props).filter((key) => !Object.hasOwn(ENCODERS, key));
  if (unknown.length > 0) {
    throw invalidArgument('ERR_UNIT_INVALID', `unknown unit property ${unknown.map((k) => `"${k}"`).join(', ')}`);
  }
  const entries: PropertyEntry[] = [];
  for (const key of Object.keys(ENCODERS) as (keyof UnitProperties)[]) {
    const entry = encodeOne(props, key);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

/** `CPUQuota=N%` in the unit (µs of CPU time per second): 20 % → 200_000n. */
export function cpuQuotaFromPercent(percent: number): bigint {
  if (!Number.isFinite(percent) || percent < 0) {
    throw invalidArgument('ERR_UNIT_INVALID', `invalid CPU quota ${percent}%: expected a non-negative number`);
  }
  return BigInt(Math.round(percent * 10_000));
}
