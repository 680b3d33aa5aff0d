/**
 * @module registry/manifest-fetch — manifests and small blobs (configs) fetched whole into
 * memory and verified before anyone parses them: by digest, the exact bytes must hash to the
 * requested digest; by tag, to the `Docker-Content-Digest` header when the registry sends one
 * (and their sha256 is recorded either way, to pin the tag for the rest of the pull).
 */
import type { RockletError } from '../../util/index.js';
import { failedPrecondition, verificationFailed } from '../../util/index.js';
import type { HttpResponse } from '../fetch/http-client.js';
import { readBodyUpTo } from '../fetch/http-client.js';
import type { Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';
import { digestAlgorithm, digestOf, parseDigest } from './digest.js';
import type { RegistryEndpoint } from './endpoint.js';
import type { Manifest } from './manifest.js';
import { parseManifest } from './manifest.js';
import { MANIFEST_ACCEPT, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from './media-types.js';
import { readErrorBody, statusError, transportError } from './registry-errors.js';
import { pullScope } from './token-auth.js';

/** A verified manifest. */
export interface FetchedManifest {
  /** The digest the bytes hash to (the one asked for, when fetched by digest). */
  readonly digest: Digest;
  /** The media type it was decoded as. */
  readonly mediaType: string;
  /** The exact bytes served (what the digest covers). */
  readonly bytes: Buffer;
  readonly manifest: Manifest;
}

/** True when a manifest reference is a digest rather than a tag. */
export function isDigestReference(reference: string): boolean {
  return reference.includes(':');
}

/** Reads a whole body of at most `limit` bytes (more is `ERR_REGISTRY_TOO_LARGE`). */
async function readLimited(response: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers['content-length'] ?? '0');
  const tooLarge = (): Error => failedPrecondition('ERR_REGISTRY_TOO_LARGE', `${what}: larger than ${limit} bytes`, { hint: 'this is not a manifest or config rocklet can use' });
  if (declared > limit) {
    response.close();
    throw tooLarge();
  }
  try {
    return await readBodyUpTo(response, limit, tooLarge);
  } catch (error) {
    throw transportError(error, what);
  }
}

/**
 * distribution answers MANIFEST_UNKNOWN for a tag of a repository that does not exist; its
 * tag list tells the two apart (NAME_UNKNOWN), so the user learns which part of the name is wrong.
 */
async function refineUnknown(endpoint: RegistryEndpoint, repository: string, what: string, error: RockletError, signal: AbortSignal | undefined): Promise<RockletError> {
  try {
    const response = await endpoint.get({ path: `/v2/${repository}/tags/list?n=1`, scope: pullScope(repository), headers: { accept: 'application/json' }, what, signal });
    if (response.status === 200) {
      response.close();
      return error;
    }
    const refined = statusError(response.status, await readErrorBody(response), what, 'manifest');
    return refined.code === 'ERR_REGISTRY_NAME_UNKNOWN' ? refined : error;
  } catch {
    return error; // the first answer stands; this request only sharpens its message
  }
}

function headerDigest(response: HttpResponse): Digest | undefined {
  const value = response.headers['docker-content-digest'];
  if (typeof value !== 'string') return undefined;
  try {
    return parseDigest(value, 'Docker-Content-Digest');
  } catch {
    return undefined; // advisory only (formats.md §2.2 step 5): an algorithm we cannot check proves nothing
  }
}

/**
 * GETs manifest `reference` (tag or digest) of `repository`, verifies and decodes it.
 * Errors: `ERR_REGISTRY_MANIFEST_DIGEST`, `ERR_REGISTRY_MANIFEST_UNKNOWN`, `ERR_REGISTRY_NAME_UNKNOWN`,
 * `ERR_REGISTRY_SCHEMA1`, `ERR_REGISTRY_MANIFEST_INVALID`, `ERR_REGISTRY_TOO_LARGE`, request errors.
 */
export async function fetchManifest(endpoint: RegistryEndpoint, repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
  const separator = isDigestReference(reference) ? '@' : ':';
  const where = `${endpoint.name}/${repository}${separator}${reference}`;
  const requested = separator === '@' ? parseDigest(reference, where) : undefined;
  const what = `manifest ${where}`;
  const response = await endpoint.get({
    path: `/v2/${repository}/manifests/${reference}`, scope: pullScope(repository), headers: { accept: MANIFEST_ACCEPT }, what, signal,
  });
  if (response.status !== 200) {
    const entries = await readErrorBody(response);
    const error = statusError(response.status, entries, what, 'manifest');
    throw error.code === 'ERR_REGISTRY_MANIFEST_UNKNOWN' ? await refineUnknown(endpoint, repository, what, error, signal) : error;
  }
  const bytes = await readLimited(response, MAX_MANIFEST_BYTES, what);
  const expected = requested ?? headerDigest(response);
  const actual = digestOf(bytes, expected === undefined ? 'sha256' : digestAlgorithm(expected));
  if (expected !== undefined && actual !== expected) {
    throw verificationFailed('ERR_REGISTRY_MANIFEST_DIGEST', `${what}: the manifest hashes to ${actual}, not to ${expected}${requested === undefined ? ' (Docker-Content-Digest)' : ''}`, {
      hint: 'the registry or a proxy serves content that does not match its digest; nothing was used',
    });
  }
  const manifest = parseManifest(bytes, response.headers['content-type'], where);
  return { digest: actual, mediaType: manifest.mediaType, bytes, manifest };
}

/** GETs a small blob (an image config) into memory and checks its size and digest. */
export async function fetchSmallBlob(endpoint: RegistryEndpoint, repository: string, descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  const what = `blob ${descriptor.digest} of ${endpoint.name}/${repository}`;
  if (descriptor.size > MAX_CONFIG_BYTES) throw failedPrecondition('ERR_REGISTRY_TOO_LARGE', `${what}: ${descriptor.size} bytes is too large for an image config`);
  const response = await endpoint.get({ path: `/v2/${repository}/blobs/${descriptor.digest}`, scope: pullScope(repository), headers: {}, what, signal });
  if (response.status !== 200) throw statusError(response.status, await readErrorBody(response), what, 'blob');
  const bytes = await readLimited(response, descriptor.size, what);
  const actual = digestOf(bytes, digestAlgorithm(descriptor.digest));
  if (bytes.length !== descriptor.size || actual !== descriptor.digest) {
    throw verificationFailed('ERR_REGISTRY_BLOB_DIGEST', `${what}: got ${bytes.length} bytes hashing to ${actual}, expected ${descriptor.size} bytes with digest ${descriptor.digest}`, {
      hint: 'the registry or a proxy serves wrong content; nothing was used',
    });
  }
  return bytes;
}
