/**
 * @module systemd/abort — rejection reasons that are always Errors.
 */

/** `error` itself if it is an Error, else an Error describing it. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Why `signal` aborted, as an Error (Node's default reason is an AbortError DOMException). */
export function abortReason(signal: AbortSignal): Error {
  return asError(signal.reason);
}
