/**
 * @module systemd/property-values — validation and encoding of single unit property values.
 *
 * Everything systemd would refuse with a terse "Invalid argument" is checked here first, so
 * the error names the field and the value. Pure: no D-Bus, no I/O.
 */
import { constants as osConstants } from 'node:os';
import { invalidArgument, type RockletError } from '../util/index.js';
import { type UnitName, type UnitType, unitTypeOf } from './unit-name.js';

/** systemd's "infinity" for `t` properties (UINT64_MAX). */
export const UINT64_INFINITY = 2n ** 64n - 1n;

/** One command of ExecStart= and friends: an absolute path and the FULL argv, argv[0] included. */
export interface ExecCommand {
  readonly path: string;
  readonly argv: readonly string[];
  /** The `-` prefix of unit files: a non-zero exit of this command is not a failure. */
  readonly ignoreFailure?: boolean;
}

/** The wire shape of one ExecCommand: `(sasb)`. */
export type ExecTuple = readonly [path: string, argv: readonly string[], ignoreFailure: boolean];

function invalid(field: string, problem: string, hint?: string): RockletError {
  return invalidArgument('ERR_UNIT_INVALID', `invalid unit property ${field}: ${problem}`, { hint });
}

// With the u flag a surrogate pair is one code point, so \p{Cs} matches only lone halves.
const LONE_SURROGATE = /\p{Cs}/u;

/** A D-Bus string must be valid UTF-8 without NUL; JS strings can hold lone surrogates. */
export function checkText(field: string, value: string): string {
  if (typeof value !== 'string') throw invalid(field, `expected a string, got ${typeof value}`);
  if (value.includes('\0') || LONE_SURROGATE.test(value)) throw invalid(field, `${JSON.stringify(value)} is not NUL-free UTF-8`);
  return value;
}

export function checkAbsolutePath(field: string, value: string): string {
  checkText(field, value);
  if (!value.startsWith('/')) throw invalid(field, `"${value}" is not an absolute path`);
  return value;
}

export function checkBoolean(field: string, value: boolean): boolean {
  if (typeof value !== 'boolean') throw invalid(field, `expected a boolean, got ${typeof value}`);
  return value;
}

export function checkMember<T extends string>(field: string, allowed: readonly T[], value: T): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalid(field, `"${String(value)}" is not one of ${allowed.join(', ')}`);
  }
  return value;
}

/** An unsigned 64-bit quantity; `'infinity'` is systemd's UINT64_MAX. */
export function toUint64(field: string, value: number | bigint | 'infinity'): bigint {
  if (value === 'infinity') return UINT64_INFINITY;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw invalid(field, `${value} is not a non-negative integer`);
    return BigInt(value);
  }
  if (typeof value !== 'bigint' || value < 0n || value > UINT64_INFINITY) {
    throw invalid(field, `${String(value)} is not an unsigned 64-bit integer`);
  }
  return value;
}

/** Milliseconds (fractions allowed down to 1 µs) to systemd's microseconds; `'infinity'` is no limit. */
export function msToUsec(field: string, value: number | 'infinity'): bigint {
  if (value === 'infinity') return UINT64_INFINITY;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(field, `${String(value)} is not a non-negative number of milliseconds`);
  }
  return BigInt(Math.round(value * 1000));
}

export function checkExecCommands(field: string, commands: readonly ExecCommand[]): ExecTuple[] {
  const list: unknown = commands;
  if (!Array.isArray(list)) throw invalid(field, 'expected an array of commands');
  return commands.map((command, index): ExecTuple => {
    const where = `${field}[${index}]`;
    checkAbsolutePath(`${where}.path`, command.path);
    const argv: unknown = command.argv;
    if (!Array.isArray(argv) || argv.length === 0) {
      throw invalid(`${where}.argv`, 'must hold at least argv[0]', 'argv is the full argument vector, e.g. ["/bin/sleep", "10"]');
    }
    command.argv.forEach((arg, i) => checkText(`${where}.argv[${i}]`, arg));
    return [command.path, [...command.argv], checkBoolean(`${where}.ignoreFailure`, command.ignoreFailure ?? false)];
  });
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment as `NAME=value` strings; names follow systemd's `env_name_is_valid()`. */
export function encodeEnvironment(field: string, env: Readonly<Record<string, string>>): string[] {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) throw invalid(field, 'expected an object of NAME: value');
  return Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) {
      throw invalid(field, `variable name "${name}" is not [A-Za-z_][A-Za-z0-9_]*`);
    }
    checkText(`${field}.${name}`, value);
    return `${name}=${value}`;
  });
}

/** A list of unit names; with `type`, every unit must be of that type. */
export function checkUnitNames(field: string, names: readonly UnitName[], type?: UnitType): string[] {
  const list: unknown = names;
  if (!Array.isArray(list)) throw invalid(field, 'expected an array of unit names');
  return names.map((name) => {
    if (type !== undefined && unitTypeOf(name) !== type) throw invalid(field, `"${name}" is not a .${type} unit`);
    return name;
  });
}

/** A signal by name (`SIGTERM`) or number, as the `i` systemd wants. */
export function signalNumber(field: string, signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') {
    if (!Number.isInteger(signal) || signal <= 0 || signal > 64) throw invalid(field, `${signal} is not a signal number`);
    return signal;
  }
  const number = (osConstants.signals as Partial<Record<string, number>>)[signal];
  if (number === undefined) throw invalid(field, `"${String(signal)}" is not a signal name`);
  return number;
}
