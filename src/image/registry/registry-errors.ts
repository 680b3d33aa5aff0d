/**
 * @module registry/registry-errors — registry answers and transport failures as RockletErrors
 * with stable `ERR_REGISTRY_*` codes. A 4xx body is `{"errors":[{code,message,detail}]}`; its
 * codes (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `BLOB_UNKNOWN`, `DENIED` …) decide the error.
 */
import type { RockletError } from '../../util/index.js';
import { failedPrecondition, isRockletError, notFound, permissionDenied, unavailable, verificationFailed } from '../../util/index.js';
import type { HttpResponse } from '../fetch/http-client.js';
import { isObject } from './descriptor.js';

/** One entry of a registry's error body. */
export interface RegistryErrorEntry {
  readonly code: string;
  readonly message: string;
}

const MAX_ERROR_BODY = 64 * 1024;

/** Reads and closes the body of a failed response; a body that is not the error JSON gives []. */
export async function readErrorBody(response: HttpResponse): Promise<RegistryErrorEntry[]> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      response.progress();
      size += (chunk as Buffer).length;
      if (size > MAX_ERROR_BODY) break;
      chunks.push(chunk as Buffer);
    }
  } catch {
    return []; // the status alone still says what failed
  } finally {
    response.close();
  }
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!isObject(body) || !Array.isArray(body.errors)) return [];
    return body.errors.filter(isObject).map((entry) => ({
      code: typeof entry.code === 'string' ? entry.code : 'UNKNOWN',
      message: typeof entry.message === 'string' ? entry.message : '',
    }));
  } catch {
    return [];
  }
}

function describe(entries: readonly RegistryErrorEntry[], status: number): string {
  const text = entries.map((entry) => `${entry.code}${entry.message === '' ? '' : `: ${entry.message}`}`).join('; ');
  return text === '' ? `HTTP ${status}` : `HTTP ${status} ${text}`;
}

/**
 * The error a non-success answer means. `what` names the object (`manifest 127.0.0.1:5000/a:1`,
 * `blob sha256:…`), `kind` says what was asked for, so a bare 404 gets the right code.
 */
export function statusError(status: number, entries: readonly RegistryErrorEntry[], what: string, kind: 'manifest' | 'blob' | 'ping'): RockletError {
  const codes = new Set(entries.map((entry) => entry.code));
  const detail = describe(entries, status);
  if (codes.has('NAME_UNKNOWN')) {
    return notFound('ERR_REGISTRY_NAME_UNKNOWN', `${what}: the repository does not exist (${detail})`, { hint: 'check the image name and the registry' });
  }
  if (codes.has('MANIFEST_UNKNOWN') || (status === 404 && kind === 'manifest')) {
    return notFound('ERR_REGISTRY_MANIFEST_UNKNOWN', `${what}: no such tag or digest (${detail})`, { hint: 'check the tag or digest; `skopeo list-tags docker://REPO` shows the tags' });
  }
  if (codes.has('BLOB_UNKNOWN') || (status === 404 && kind === 'blob')) {
    return notFound('ERR_REGISTRY_BLOB_UNKNOWN', `${what}: the registry does not have this blob (${detail})`);
  }
  if (status === 401) {
    return permissionDenied('ERR_REGISTRY_UNAUTHORIZED', `${what}: authentication failed (${detail})`);
  }
  if (status === 403 || codes.has('DENIED')) {
    return permissionDenied('ERR_REGISTRY_DENIED', `${what}: access denied (${detail})`, { hint: 'the credentials in auth.json are not allowed to pull this image' });
  }
  if (status === 429 || status >= 500) {
    return unavailable('ERR_REGISTRY_UNAVAILABLE', `${what}: the registry failed (${detail})`, { hint: 'the registry may be overloaded or down; try again later' });
  }
  return failedPrecondition('ERR_REGISTRY_HTTP', `${what}: the registry refused the request (${detail})`);
}

/** A transport failure of the fetch layer (`ERR_FETCH_*`) in registry terms; others unchanged. */
export function transportError(error: unknown, what: string): unknown {
  if (!isRockletError(error)) return error;
  const options = { cause: error, hint: error.hint };
  if (error.code === 'ERR_FETCH_STALLED') {
    return unavailable('ERR_REGISTRY_STALLED', `${what}: ${error.message}`, {
      cause: error, hint: 'the registry stopped sending data; try again (a blob download resumes where it stopped)',
    });
  }
  if (error.code === 'ERR_FETCH_TRUNCATED') return unavailable('ERR_REGISTRY_TRUNCATED', `${what}: ${error.message}`, options);
  if (error.code === 'ERR_FETCH_TLS') return verificationFailed('ERR_REGISTRY_TLS', `${what}: ${error.message}`, options);
  if (error.code === 'ERR_FETCH_CONNECT') {
    return unavailable('ERR_REGISTRY_CONNECT', `${what}: ${error.message}`, {
      cause: error,
      hint: 'check that the registry is up; a registry that serves plain HTTP must be configured insecure',
    });
  }
  if (error.code === 'ERR_FETCH_INSECURE') return failedPrecondition('ERR_REGISTRY_INSECURE', `${what}: ${error.message}`, options);
  return error;
}
