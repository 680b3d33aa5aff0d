/**
 * @module pod/store/uuid — pod UUIDs in rkt's forms.
 *
 * A pod UUID is a random (v4) UUID, always stored and printed in the canonical lowercase dashed
 * form (`1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d`), which is also the pod directory's name. Users
 * may type the dashed or the bare 32-hex form in any case; prefixes are handled by resolve.ts.
 * `--uuid-file-save` writes the canonical form without a newline (as rkt did); `--uuid-file`
 * reads it back with surrounding whitespace trimmed.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { errnoCode, invalidArgument, notFound, writeFileAtomic } from '../../util/index.js';

declare const podUuidBrand: unique symbol;
/** A full pod UUID in canonical form (lowercase, dashed). Only {@link parsePodUuid} and {@link newPodUuid} make one. */
export type PodUuid = string & { readonly [podUuidBrand]: true };

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BARE = /^[0-9a-f]{32}$/;
/** Where the dashes of the canonical form sit. */
const DASH_POSITIONS: readonly number[] = [8, 13, 18, 23];
/** Characters shown by `list` without `--full` (rkt's short form). */
export const SHORT_UUID_LENGTH = 8;

/** True when `text` is already a canonical pod UUID (the form directory names have). */
export function isPodUuid(text: string): text is PodUuid {
  return CANONICAL.test(text);
}

/** A fresh random pod UUID. */
export function newPodUuid(): PodUuid {
  return randomUUID() as PodUuid;
}

/** Throws `ERR_POD_UUID_EMPTY` with rkt's message. */
export function emptyUuidError(): never {
  throw invalidArgument('ERR_POD_UUID_EMPTY', 'UUID cannot be empty', {
    hint: 'give the pod UUID (or a unique prefix of it) as shown by "rocklet list"',
  });
}

function malformed(text: string, why: string): never {
  throw invalidArgument('ERR_POD_UUID_INVALID', `invalid UUID "${text}": ${why}`, {
    hint: 'a pod UUID is 32 hex digits, usually written 8-4-4-4-12 with dashes',
  });
}

/** Why `lower` (lowercased input) is not a UUID or UUID prefix, or undefined when it is fine. */
function prefixProblem(lower: string): string | undefined {
  const bad = /[^0-9a-f-]/.exec(lower);
  if (bad !== null) return `"${bad[0]}" is not a hex digit`;
  if (!lower.includes('-')) return lower.length > 32 ? 'longer than 32 hex digits' : undefined;
  if (lower.length > 36) return 'longer than a UUID';
  for (let i = 0; i < lower.length; i += 1) {
    if ((lower[i] === '-') !== DASH_POSITIONS.includes(i)) return 'dashes must separate groups of 8-4-4-4-12 hex digits';
  }
  return undefined;
}

/**
 * Parse a full pod UUID (dashed or 32 bare hex digits, any case) into canonical form.
 * Throws `ERR_POD_UUID_EMPTY` or `ERR_POD_UUID_INVALID`.
 */
export function parsePodUuid(text: string): PodUuid {
  if (text === '') emptyUuidError();
  const lower = text.toLowerCase();
  if (isPodUuid(lower)) return lower;
  if (BARE.test(lower)) return canonical(lower);
  malformed(text, prefixProblem(lower) ?? 'too short for a full UUID');
}

/**
 * Check a user-typed UUID or UUID prefix and return it lowercased without dashes (the form
 * prefix matching compares). Throws `ERR_POD_UUID_EMPTY` or `ERR_POD_UUID_INVALID`.
 */
export function parseUuidPrefix(text: string): string {
  if (text === '') emptyUuidError();
  const lower = text.toLowerCase();
  const problem = prefixProblem(lower);
  if (problem !== undefined) malformed(text, problem);
  return lower.replaceAll('-', '');
}

/** The bare 32-hex form of a pod UUID. */
export function bareUuid(uuid: PodUuid): string {
  return uuid.replaceAll('-', '');
}

/** The first {@link SHORT_UUID_LENGTH} characters, as `list` shows without `--full`. */
export function shortUuid(uuid: PodUuid): string {
  return uuid.slice(0, SHORT_UUID_LENGTH);
}

function canonical(bare: string): PodUuid {
  const uuid = `${bare.slice(0, 8)}-${bare.slice(8, 12)}-${bare.slice(12, 16)}-${bare.slice(16, 20)}-${bare.slice(20)}`;
  if (!isPodUuid(uuid)) throw new Error(`not a bare UUID: ${bare}`);
  return uuid;
}

/**
 * Read the UUID saved by `--uuid-file-save` (whitespace trimmed). Throws `ERR_UUID_FILE_NOT_FOUND`
 * when the file is missing, `ERR_UUID_FILE_INVALID` when it holds no valid UUID.
 */
export async function readUuidFile(file: string): Promise<PodUuid> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw notFound('ERR_UUID_FILE_NOT_FOUND', `UUID file "${file}" does not exist`, { cause: error });
    }
    throw error;
  }
  const trimmed = text.trim();
  if (isPodUuid(trimmed.toLowerCase()) || BARE.test(trimmed.toLowerCase())) return parsePodUuid(trimmed);
  const shown = trimmed.length > 40 ? `${trimmed.slice(0, 40)}…` : trimmed;
  throw invalidArgument('ERR_UUID_FILE_INVALID', `UUID file "${file}" does not hold a pod UUID (found "${shown}")`, {
    hint: 'the file should contain exactly what --uuid-file-save wrote',
  });
}

/** Atomically write `uuid` to `file` for `--uuid-file-save` (no trailing newline, like rkt). */
export async function writeUuidFile(file: string, uuid: PodUuid): Promise<void> {
  await writeFileAtomic(file, uuid, { mode: 0o644 });
}
