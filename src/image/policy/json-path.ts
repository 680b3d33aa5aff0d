/**
 * @module image/policy/json-path — where in a JSON document a value sits, written the way
 * error messages show it: `transports.docker["quay.io/x"][0].keyPath`, and the one error
 * shape every policy and registries.d problem uses (file, path, what is wrong).
 */
import { invalidArgument } from '../../util/index.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `path` extended by an object key (`.key` or `["odd key"]`) or a list index (`[3]`). */
export function jsonPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** `policy.json: transports.docker["x"][0]: message` (the path is left out when empty). */
export function located(file: string, path: string, message: string): string {
  return path === '' ? `${file}: ${message}` : `${file}: ${path}: ${message}`;
}

/** ERR_POLICY_INVALID naming the file and the key. */
export function policyError(file: string, path: string, message: string, hint?: string): Error {
  return invalidArgument('ERR_POLICY_INVALID', located(file, path, message), {
    hint: hint ?? 'fix the file (format: containers-policy.json(5)); `rocklet trust --list` shows what rocklet reads',
  });
}

/** ERR_POLICY_UNSUPPORTED: valid in containers-policy.json(5), but not something rocklet does. */
export function unsupportedPolicy(file: string, path: string, message: string, hint?: string): Error {
  return invalidArgument('ERR_POLICY_UNSUPPORTED', located(file, path, message), {
    hint: hint ?? 'remove the entry or use a requirement rocklet supports (insecureAcceptAnything, reject, signedBy, sigstoreSigned with keys)',
  });
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a JSON value reads in a message. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${value}`;
  return `a ${typeof value}`;
}
