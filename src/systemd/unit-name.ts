/**
 * @module systemd/unit-name — unit names as a branded type, and their D-Bus object paths.
 *
 * The rules mirror systemd's `unit_name_is_valid()` (src/basic/unit-name.c): at most 255
 * characters, `prefix[@instance].suffix`, characters from `[A-Za-z0-9:_.\\-]` (plus `@`
 * after the prefix), a known suffix. Templates (`foo@.service`) are rejected because no
 * call of this facade can act on them. Object paths follow `bus_label_escape()`.
 */
import { invalidArgument } from '../util/index.js';

/** The unit types this facade knows (systemd also has device, swap, automount). */
export const UNIT_TYPES = ['service', 'slice', 'scope', 'target', 'socket', 'timer', 'mount', 'path'] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

declare const unitNameBrand: unique symbol;
/** A valid, non-template unit name such as `pod-web.service`. Only {@link parseUnitName} creates one. */
export type UnitName = string & { readonly [unitNameBrand]: true };

declare const objectPathBrand: unique symbol;
/** A D-Bus object path returned by systemd or built by {@link unitObjectPath}. */
export type ObjectPath = string & { readonly [objectPathBrand]: true };

/** The longest unit name systemd accepts (UNIT_NAME_MAX 256 includes the NUL). */
export const UNIT_NAME_MAX_LENGTH = 255;
/** Where systemd exports unit objects. */
export const UNIT_PATH_PREFIX = '/org/freedesktop/systemd1/unit/';

const VALID_CHARS = /^[A-Za-z0-9:_.\\@-]*$/;
const GLOB_CHARS = /^[A-Za-z0-9:_.\\@[\]!*?-]+$/;

function isUnitType(value: string): value is UnitType {
  return (UNIT_TYPES as readonly string[]).includes(value);
}

/** Why `name` is not a valid unit name, or undefined when it is. */
function unitNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > UNIT_NAME_MAX_LENGTH) return `is longer than ${UNIT_NAME_MAX_LENGTH} characters`;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return `has no unit type suffix (one of .${UNIT_TYPES.join(', .')})`;
  const suffix = name.slice(dot + 1);
  if (!isUnitType(suffix)) return `has unknown type suffix ".${suffix}" (expected one of .${UNIT_TYPES.join(', .')})`;
  const stem = name.slice(0, dot);
  if (!VALID_CHARS.test(stem)) return 'contains a character outside [A-Za-z0-9:_.\\@-]';
  const at = stem.indexOf('@');
  if (at === 0) return 'starts with "@"';
  if (at === stem.length - 1) return 'is a template (nothing between "@" and the suffix)';
  return undefined;
}

/**
 * Parses a unit name, the only way to make a {@link UnitName}.
 * @throws RockletError invalid-argument `ERR_UNIT_NAME_INVALID` naming the rule broken.
 */
export function parseUnitName(value: string): UnitName {
  const problem = unitNameProblem(value);
  if (problem !== undefined) {
    throw invalidArgument('ERR_UNIT_NAME_INVALID', `invalid unit name "${value}": ${problem}`, {
      hint: 'unit names look like "name.service"; use only letters, digits and ":_.\\-"',
    });
  }
  return value as UnitName;
}

/** True when `value` would pass {@link parseUnitName}. */
export function isUnitName(value: string): value is UnitName {
  return unitNameProblem(value) === undefined;
}

/** The type of a unit, from its suffix. */
export function unitTypeOf(name: UnitName): UnitType {
  const suffix = name.slice(name.lastIndexOf('.') + 1);
  if (!isUnitType(suffix)) throw new Error(`unit name without a known suffix: ${name}`);
  return suffix;
}

/**
 * Validates a ListUnitsByPatterns glob such as `pod-*.service` (systemd's VALID_CHARS_GLOB).
 * @throws RockletError invalid-argument `ERR_UNIT_PATTERN_INVALID`.
 */
export function parseUnitPattern(value: string): string {
  if (value.length === 0 || value.length > UNIT_NAME_MAX_LENGTH || !GLOB_CHARS.test(value)) {
    throw invalidArgument('ERR_UNIT_PATTERN_INVALID', `invalid unit pattern "${value}"`, {
      hint: 'patterns use unit-name characters plus the glob characters *?[]!',
    });
  }
  return value;
}

/**
 * Escapes one object-path label like systemd's `bus_label_escape()`: every character outside
 * [A-Za-z0-9], and a leading digit, becomes `_xx` (lowercase hex of the byte).
 */
export function escapeBusLabel(label: string): string {
  if (label.length === 0) return '_';
  let out = '';
  for (const [index, byte] of Buffer.from(label, 'utf8').entries()) {
    const isAlpha = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    const isDigit = byte >= 0x30 && byte <= 0x39;
    out += isAlpha || (isDigit && index > 0) ? String.fromCharCode(byte) : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Reverses {@link escapeBusLabel}; an invalid `_` sequence is taken literally, as systemd does. */
export function unescapeBusLabel(label: string): string {
  if (label === '_') return '';
  const bytes: number[] = [];
  for (let i = 0; i < label.length; i++) {
    const hex = label.slice(i + 1, i + 3);
    if (label[i] === '_' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(label.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The object path systemd exports a unit at, e.g. `/org/freedesktop/systemd1/unit/feas_2ddemo_2eservice`. */
export function unitObjectPath(name: UnitName): ObjectPath {
  return `${UNIT_PATH_PREFIX}${escapeBusLabel(name)}` as ObjectPath;
}

/** The unit behind a unit object path, or undefined for paths that do not name a unit (e.g. `.../unit/self`). */
export function unitNameFromObjectPath(path: string): UnitName | undefined {
  if (!path.startsWith(UNIT_PATH_PREFIX)) return undefined;
  const label = path.slice(UNIT_PATH_PREFIX.length);
  if (label.includes('/')) return undefined;
  const name = unescapeBusLabel(label);
  return isUnitName(name) ? name : undefined;
}
