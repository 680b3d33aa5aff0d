/**
 * @module errors — the one error shape of rocklet.
 *
 * Every failure a user can reach is a `RockletError`: a stable `code` (part of the CLI
 * contract, printed by `--format json`), an `exitCode`, an optional `hint` that tells the
 * user what to do, and the `cause` chain (shown by `--debug`). Categories follow
 * containerd's errdefs so callers can branch on kind rather than on message text.
 * Programmer errors stay plain `Error`.
 */

/** The exit code of every failure of rocklet itself (rkt's convention, distinct from app codes). */
export const EXIT_FAILURE = 254;
/** The exit code of a usage error: missing or unknown subcommand, unknown flag, bad flag value. */
export const EXIT_USAGE = 2;

export const ERROR_CATEGORIES = [
  'usage',
  'invalid-argument',
  'not-found',
  'already-exists',
  'failed-precondition',
  'conflict',
  'permission-denied',
  'verification',
  'unavailable',
  'runtime',
  'internal',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export interface RockletErrorOptions {
  /** What the user can do about it, one sentence. */
  readonly hint?: string | undefined;
  readonly cause?: unknown;
  /** Overrides the category's exit code (only `run`-like pass-through should need it). */
  readonly exitCode?: number;
}

// A registered symbol, so the brand survives duplicate module copies (cross-realm safe).
const BRAND = Symbol.for('rocklet.error');

/** Base class of every error a user can reach. `code` is stable, e.g. `ERR_IMAGE_NOT_FOUND`. */
export class RockletError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly exitCode: number;
  readonly hint: string | undefined;
  readonly [BRAND] = true;

  constructor(category: ErrorCategory, code: string, message: string, options: RockletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RockletError';
    this.category = category;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? (category === 'usage' ? EXIT_USAGE : EXIT_FAILURE);
  }
}

/** True for any RockletError, even one created by another copy of this module. */
export function isRockletError(value: unknown): value is RockletError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** True when `value` is a RockletError with the given code. */
export function hasErrorCode(value: unknown, code: string): value is RockletError {
  return isRockletError(value) && value.code === code;
}

/** True when `value` is a RockletError of the given category. */
export function isErrorCategory(value: unknown, category: ErrorCategory): value is RockletError {
  return isRockletError(value) && value.category === category;
}

type Factory = (code: string, message: string, options?: RockletErrorOptions) => RockletError;
const make =
  (category: ErrorCategory): Factory =>
  (code, message, options) =>
    new RockletError(category, code, message, options);

/** Wrong command line: missing/unknown subcommand or flag (exit 2). */
export const usageError = make('usage');
/** Input that can never be right as given (bad manifest, malformed UUID, bad quantity). */
export const invalidArgument = make('invalid-argument');
export const notFound = make('not-found');
export const alreadyExists = make('already-exists');
/** The system is not in the state the operation needs (pod not running, crun missing). */
export const failedPrecondition = make('failed-precondition');
/** Someone else holds what we need (a lock, a port, a name). */
export const conflict = make('conflict');
export const permissionDenied = make('permission-denied');
/** A signature or digest did not verify. */
export const verificationFailed = make('verification');
/** A service we depend on did not answer (D-Bus, registry, network). */
export const unavailable = make('unavailable');
/** A child process (crun, mount, ip) failed. */
export const runtimeFailure = make('runtime');
export const internalError = make('internal');

/** Node's system errors carry a string `code` such as ENOENT. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** The chain `error → cause → cause …`, outermost first, at most `limit` deep. */
export function causeChain(error: unknown, limit = 16): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && chain.length < limit) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/** For exhaustive switches over unions: a compile error when a case is missing. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${String(value)}`);
}
