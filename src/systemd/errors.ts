/**
 * @module systemd/errors — D-Bus errors as typed RockletErrors.
 *
 * systemd answers with D-Bus error names (`org.freedesktop.systemd1.NoSuchUnit`) or with
 * `System.Error.<ERRNO>`; callers branch on the stable codes below instead. The original
 * DBusError stays as `cause`, and the message names the operation and unit.
 */
import {
  type RockletError,
  alreadyExists,
  conflict,
  failedPrecondition,
  invalidArgument,
  isRockletError,
  notFound,
  permissionDenied,
  runtimeFailure,
  unavailable,
} from '../util/index.js';

/** The stable codes of this layer. */
export const SYSTEMD_ERROR_CODES = {
  unitNotFound: 'ERR_UNIT_NOT_FOUND',
  unitExists: 'ERR_UNIT_EXISTS',
  unitInvalid: 'ERR_UNIT_INVALID',
  unitMasked: 'ERR_UNIT_MASKED',
  jobConflict: 'ERR_UNIT_JOB_CONFLICT',
  accessDenied: 'ERR_DBUS_ACCESS_DENIED',
  unavailable: 'ERR_DBUS_UNAVAILABLE',
  timeout: 'ERR_DBUS_TIMEOUT',
  callFailed: 'ERR_SYSTEMD_CALL_FAILED',
} as const;

/** The shape of dbus-next's DBusError, checked structurally so this module needs no dbus-next. */
export interface DBusErrorLike extends Error {
  readonly type: string;
  readonly text: string;
}

export function isDBusError(value: unknown): value is DBusErrorLike {
  return (
    value instanceof Error &&
    typeof (value as Partial<DBusErrorLike>).type === 'string' &&
    typeof (value as Partial<DBusErrorLike>).text === 'string'
  );
}

/** What was being done when the error happened, for the message. */
export interface ErrorContext {
  /** A lowercase verb phrase, e.g. `start unit`. */
  readonly operation: string;
  readonly unit?: string | undefined;
}

type Kind = 'not-found' | 'exists' | 'invalid' | 'masked' | 'conflict' | 'denied' | 'unavailable' | 'other';

const KIND_BY_NAME: Readonly<Record<string, Kind>> = {
  'org.freedesktop.systemd1.NoSuchUnit': 'not-found',
  'org.freedesktop.systemd1.LoadFailed': 'invalid',
  'org.freedesktop.DBus.Error.UnknownObject': 'not-found',
  'org.freedesktop.systemd1.UnitExists': 'exists',
  'org.freedesktop.DBus.Error.InvalidArgs': 'invalid',
  'org.freedesktop.DBus.Error.PropertyReadOnly': 'invalid',
  'org.freedesktop.DBus.Error.UnknownProperty': 'invalid',
  'org.freedesktop.systemd1.BadUnitSetting': 'invalid',
  'org.freedesktop.systemd1.NoSuchUnitType': 'invalid',
  'System.Error.ENXIO': 'invalid',
  'System.Error.EINVAL': 'invalid',
  'org.freedesktop.systemd1.UnitMasked': 'masked',
  'org.freedesktop.systemd1.UnitGenerated': 'masked',
  'org.freedesktop.systemd1.TransactionIsDestructive': 'conflict',
  'org.freedesktop.systemd1.TransactionJobsConflicting': 'conflict',
  'org.freedesktop.systemd1.TransactionOrderIsCyclic': 'conflict',
  'org.freedesktop.systemd1.OnlyByDependency': 'conflict',
  'org.freedesktop.DBus.Error.AccessDenied': 'denied',
  'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired': 'denied',
  'System.Error.EPERM': 'denied',
  'System.Error.EACCES': 'denied',
  'org.freedesktop.DBus.Error.ServiceUnknown': 'unavailable',
  'org.freedesktop.DBus.Error.NameHasNoOwner': 'unavailable',
  'org.freedesktop.DBus.Error.NoReply': 'unavailable',
  'org.freedesktop.DBus.Error.Timeout': 'unavailable',
  'org.freedesktop.DBus.Error.Disconnected': 'unavailable',
  'org.freedesktop.DBus.Error.LimitsExceeded': 'unavailable',
  'org.freedesktop.systemd1.ShuttingDown': 'unavailable',
};

function subject(context: ErrorContext): string {
  return context.unit === undefined ? context.operation : `${context.operation} ${context.unit}`;
}

/**
 * Maps any error thrown by a D-Bus call to a RockletError. RockletErrors pass through;
 * dbus-next's local marshalling errors (plain Error) become `ERR_UNIT_INVALID`.
 */
export function mapDBusError(error: unknown, context: ErrorContext): RockletError {
  if (isRockletError(error)) return error;
  const what = subject(context);
  if (!isDBusError(error)) {
    const detail = error instanceof Error ? error.message : String(error);
    return invalidArgument(SYSTEMD_ERROR_CODES.unitInvalid, `${what}: d-bus rejected the arguments: ${detail}`, {
      cause: error,
    });
  }
  const detail = `${error.text} (${error.type})`;
  const options = { cause: error };
  const kind: Kind = KIND_BY_NAME[error.type] ?? 'other';
  switch (kind) {
    case 'not-found':
      return notFound(SYSTEMD_ERROR_CODES.unitNotFound, `${what}: unit not loaded: ${detail}`, options);
    case 'exists':
      return alreadyExists(SYSTEMD_ERROR_CODES.unitExists, `${what}: unit already exists: ${detail}`, {
        ...options,
        hint: 'stop it and reset its failed state, or pick another unit name',
      });
    case 'invalid':
      return invalidArgument(SYSTEMD_ERROR_CODES.unitInvalid, `${what}: systemd refused the arguments: ${detail}`, options);
    case 'masked':
      return failedPrecondition(SYSTEMD_ERROR_CODES.unitMasked, `${what}: unit is masked or generated: ${detail}`, options);
    case 'conflict':
      return conflict(SYSTEMD_ERROR_CODES.jobConflict, `${what}: conflicting job: ${detail}`, options);
    case 'denied':
      return permissionDenied(SYSTEMD_ERROR_CODES.accessDenied, `${what}: access denied: ${detail}`, {
        ...options,
        hint: 'run as root or allow this user in the D-Bus policy',
      });
    case 'unavailable':
      return unavailable(SYSTEMD_ERROR_CODES.unavailable, `${what}: systemd is not reachable: ${detail}`, options);
    case 'other':
      return runtimeFailure(SYSTEMD_ERROR_CODES.callFailed, `${what}: systemd call failed: ${detail}`, options);
  }
}
