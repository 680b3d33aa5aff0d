/**
 * @module systemd/unit-status — decoding unit properties read over D-Bus into typed records.
 *
 * One decoder table serves both `Properties.GetAll` replies and `PropertiesChanged` signals,
 * so a value means the same whether it was read or pushed. Values arrive as dbus-next
 * Variants (`{signature, value}`); `t` as bigint, `u`/`i` as number, `ay` as Buffer.
 */
import { internalError } from '../util/index.js';
import type { UnitName } from './unit-name.js';
import {
  type ActiveState,
  type ExecMainCode,
  type LoadState,
  type SubState,
  type UnitResult,
  parseActiveState,
  parseExecMainCode,
  parseLoadState,
  parseSubState,
  parseUnitResult,
} from './unit-state.js';

/** One ExecStart= command as systemd reports it back, with its last run. */
export interface ExecStatus {
  readonly path: string;
  readonly argv: readonly string[];
  readonly ignoreFailure: boolean;
  /** Namespace PID of the last run, 0 if none. */
  readonly pid: number;
  readonly code: ExecMainCode;
  readonly status: number;
}

/**
 * What systemd reports about a unit. Fields of a type-specific interface (Service, Scope...)
 * are `undefined` for unit types that lack them (a slice has no MainPID).
 */
export interface UnitStatus {
  readonly name: UnitName;
  readonly description: string;
  readonly loadState: LoadState;
  readonly activeState: ActiveState;
  readonly subState: SubState;
  /** 32 lowercase hex digits; undefined before the first start. */
  readonly invocationId: string | undefined;
  readonly result: UnitResult | undefined;
  /** Namespace PID of the main process, 0 when there is none. */
  readonly mainPid: number | undefined;
  readonly execMainStatus: number | undefined;
  readonly execMainCode: ExecMainCode | undefined;
  readonly nRestarts: number | undefined;
  /** `NAME=value` strings as set with Environment=. */
  readonly environment: readonly string[] | undefined;
  readonly execStart: readonly ExecStatus[] | undefined;
  readonly memoryMaxBytes: bigint | undefined;
  readonly tasksMax: bigint | undefined;
  readonly cpuQuotaPerSecUSec: bigint | undefined;
  readonly controlGroup: string | undefined;
}

/** The decoded subset of properties carried by one PropertiesChanged signal. */
export type UnitChanges = Partial<Omit<UnitStatus, 'name'>>;

type Fields = Omit<UnitStatus, 'name'>;
interface Decoder<T> {
  readonly property: string;
  readonly decode: (value: unknown) => T;
}

function protocol(property: string, value: unknown): Error {
  return internalError('ERR_SYSTEMD_PROTOCOL', `unexpected value of ${property} from systemd: ${String(value)}`);
}

const str =
  (property: string) =>
  (value: unknown): string => {
    if (typeof value !== 'string') throw protocol(property, value);
    return value;
  };
const int =
  (property: string) =>
  (value: unknown): number => {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw protocol(property, value);
    return value;
  };
const u64 =
  (property: string) =>
  (value: unknown): bigint => {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    throw protocol(property, value);
  };
const strings =
  (property: string) =>
  (value: unknown): string[] => {
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw protocol(property, value);
    return value;
  };

function invocationId(value: unknown): string | undefined {
  if (!Buffer.isBuffer(value) && !Array.isArray(value)) throw protocol('InvocationID', value);
  const bytes = Buffer.from(value as Uint8Array);
  return bytes.length === 0 ? undefined : bytes.toString('hex');
}

function execStatuses(value: unknown): ExecStatus[] {
  if (!Array.isArray(value)) throw protocol('ExecStart', value);
  return value.map((item: unknown): ExecStatus => {
    if (!Array.isArray(item) || item.length < 10) throw protocol('ExecStart', item);
    const [path, argv, ignoreFailure, , , , , pid, code, status] = item as unknown[];
    if (typeof ignoreFailure !== 'boolean') throw protocol('ExecStart', item);
    return {
      path: str('ExecStart')(path),
      argv: strings('ExecStart')(argv),
      ignoreFailure,
      pid: int('ExecStart')(pid),
      code: parseExecMainCode(code),
      status: int('ExecStart')(status),
    };
  });
}

const DECODERS: { readonly [K in keyof Fields]-?: Decoder<Fields[K]> } = {
  description: { property: 'Description', decode: str('Description') },
  loadState: { property: 'LoadState', decode: parseLoadState },
  activeState: { property: 'ActiveState', decode: parseActiveState },
  subState: { property: 'SubState', decode: parseSubState },
  invocationId: { property: 'InvocationID', decode: invocationId },
  result: { property: 'Result', decode: parseUnitResult },
  mainPid: { property: 'MainPID', decode: int('MainPID') },
  execMainStatus: { property: 'ExecMainStatus', decode: int('ExecMainStatus') },
  execMainCode: { property: 'ExecMainCode', decode: parseExecMainCode },
  nRestarts: { property: 'NRestarts', decode: int('NRestarts') },
  environment: { property: 'Environment', decode: strings('Environment') },
  execStart: { property: 'ExecStart', decode: execStatuses },
  memoryMaxBytes: { property: 'MemoryMax', decode: u64('MemoryMax') },
  tasksMax: { property: 'TasksMax', decode: u64('TasksMax') },
  cpuQuotaPerSecUSec: { property: 'CPUQuotaPerSecUSec', decode: u64('CPUQuotaPerSecUSec') },
  controlGroup: { property: 'ControlGroup', decode: str('ControlGroup') },
};

/** Unwraps dbus-next's `{name: Variant}` dictionary into plain values. */
export function variantValues(dict: unknown): Map<string, unknown> {
  if (typeof dict !== 'object' || dict === null) throw protocol('a{sv}', dict);
  const values = new Map<string, unknown>();
  for (const [name, variant] of Object.entries(dict)) {
    if (typeof variant !== 'object' || variant === null || !('value' in variant)) throw protocol(name, variant);
    values.set(name, (variant as { value: unknown }).value);
  }
  return values;
}

/** Unwraps one dbus-next Variant (a Properties.Get reply). */
export function variantValue(variant: unknown): unknown {
  if (typeof variant !== 'object' || variant === null || !('value' in variant)) throw protocol('v', variant);
  return variant.value;
}

function decodeField<K extends keyof Fields>(out: Partial<Record<keyof Fields, unknown>>, key: K, values: Map<string, unknown>): void {
  const decoder = DECODERS[key];
  if (values.has(decoder.property)) out[key] = decoder.decode(values.get(decoder.property));
}

/**
 * Decodes the known properties present in `values`; others are ignored.
 * @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` on a value of the wrong shape.
 */
export function decodeUnitChanges(values: Map<string, unknown>): UnitChanges {
  const out: Partial<Record<keyof Fields, unknown>> = {};
  for (const key of Object.keys(DECODERS) as (keyof Fields)[]) decodeField(out, key, values);
  return out as UnitChanges;
}

/**
 * Builds a full status from the merged properties of the Unit and type-specific interfaces.
 * @throws RockletError internal `ERR_SYSTEMD_PROTOCOL` when a Unit property is missing.
 */
export function decodeUnitStatus(name: UnitName, values: Map<string, unknown>): UnitStatus {
  const changes = decodeUnitChanges(values);
  const { description, loadState, activeState, subState } = changes;
  if (description === undefined || loadState === undefined || activeState === undefined || subState === undefined) {
    throw internalError('ERR_SYSTEMD_PROTOCOL', `systemd returned no Unit properties for ${name}`);
  }
  return {
    name,
    description,
    loadState,
    activeState,
    subState,
    invocationId: changes.invocationId,
    result: changes.result,
    mainPid: changes.mainPid,
    execMainStatus: changes.execMainStatus,
    execMainCode: changes.execMainCode,
    nRestarts: changes.nRestarts,
    environment: changes.environment,
    execStart: changes.execStart,
    memoryMaxBytes: changes.memoryMaxBytes,
    tasksMax: changes.tasksMax,
    cpuQuotaPerSecUSec: changes.cpuQuotaPerSecUSec,
    controlGroup: changes.controlGroup,
  };
}

/** Applies `changes` on top of `status` (fields absent from `changes` keep their value). */
export function mergeUnitStatus(status: UnitStatus, changes: UnitChanges): UnitStatus {
  const merged: Record<string, unknown> = { ...status };
  // A key present with value undefined is a real change (e.g. InvocationID cleared).
  for (const [key, value] of Object.entries(changes)) merged[key] = value;
  return merged as unknown as UnitStatus;
}

/** The fields {@link statusOfListed} can add to a listed unit (InvocationID is the Unit interface's, the others the Service's). */
export type ListedUnitField = 'environment' | 'nRestarts' | 'result' | 'invocationId';

/** The D-Bus property name of a field. */
export function propertyOf(field: ListedUnitField): string {
  return DECODERS[field].property;
}

/** The D-Bus interface that holds a field's property. */
export function interfaceOf(field: ListedUnitField): 'org.freedesktop.systemd1.Unit' | 'org.freedesktop.systemd1.Service' {
  return field === 'invocationId' ? 'org.freedesktop.systemd1.Unit' : 'org.freedesktop.systemd1.Service';
}

/**
 * A status from a unit listing's states plus `extra` (decoded property values by field); every
 * other field is undefined. What a caller that needs only these fields reads instead of ~350.
 */
export function statusOfListed(
  entry: { readonly name: UnitName; readonly description: string; readonly loadState: UnitStatus['loadState']; readonly activeState: UnitStatus['activeState']; readonly subState: UnitStatus['subState'] },
  extra: ReadonlyMap<ListedUnitField, unknown>,
): UnitStatus {
  const values = new Map<string, unknown>([...extra].map(([field, value]) => [DECODERS[field].property, value]));
  const changes = decodeUnitChanges(values);
  return {
    ...changes,
    name: entry.name,
    description: entry.description,
    loadState: entry.loadState,
    activeState: entry.activeState,
    subState: entry.subState,
    invocationId: changes.invocationId, mainPid: undefined, execMainStatus: undefined, execMainCode: undefined, execStart: undefined,
    memoryMaxBytes: undefined, tasksMax: undefined, cpuQuotaPerSecUSec: undefined, controlGroup: undefined,
    result: changes.result,
    nRestarts: changes.nRestarts,
    environment: changes.environment,
  };
}
