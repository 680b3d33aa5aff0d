/**
 * @module image/policy/lookaside — reads simple-signing signatures from a lookaside
 * (containers-registries.d(5)): `<base>/<repository path>@<algorithm>=<hex>/signature-<n>`,
 * n = 1, 2, … until the first one that does not exist. `file://` bases are read from disk,
 * `http(s)://` ones through the fetch module's HTTP client (its TLS roots and stall timeout;
 * plain http is allowed here, as containers/image allows it: a signature proves itself).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { errnoCode, failedPrecondition, unavailable } from '../../util/index.js';
import type { HttpContext } from '../fetch/http-client.js';
import { describeStatus, httpGet, readBodyUpTo } from '../fetch/http-client.js';
import type { Digest } from '../registry/digest.js';

/** Largest signature read. */
export const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;
/** Most signatures read for one image. */
export const MAX_SIGNATURES = 64;

/** One signature as stored, and where it came from. */
export interface StoredSignature {
  readonly bytes: Buffer;
  readonly source: string;
}

/** The URL of signature `index` (1-based) of `digest` in `repositoryPath` under `base`. */
export function lookasideUrl(base: URL, repositoryPath: string, digest: Digest, index: number): URL {
  const url = new URL(base.href);
  const [algorithm, hex] = digest.split(':');
  url.pathname = `${base.pathname.replace(/\/+$/, '')}/${repositoryPath}@${algorithm ?? ''}=${hex ?? ''}/signature-${index}`;
  return url;
}

function tooLarge(source: string): Error {
  return failedPrecondition('ERR_POLICY_SIGNATURE_INVALID', `signature ${source} is larger than ${MAX_SIGNATURE_BYTES} bytes: not a signature`);
}

async function readOne(url: URL, context: HttpContext): Promise<Buffer | undefined> {
  if (url.protocol === 'file:') {
    try {
      const bytes = await readFile(fileURLToPath(url));
      if (bytes.length > MAX_SIGNATURE_BYTES) throw tooLarge(url.href);
      return bytes;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      if (errnoCode(error) !== undefined) throw unavailable('ERR_POLICY_LOOKASIDE', `cannot read signature ${url.href}: ${errnoCode(error) ?? ''}`, { cause: error });
      throw error;
    }
  }
  const response = await httpGet(url, { accept: '*/*' }, { ...context, insecure: new Set([...context.insecure, 'http']) });
  if (response.status === 404) {
    response.close();
    return undefined;
  }
  if (response.status !== 200) {
    response.close();
    throw unavailable('ERR_POLICY_LOOKASIDE', `cannot read signature ${url.href}: ${describeStatus(response)}`, {
      hint: 'the lookaside server must answer 200 with a signature or 404 after the last one',
    });
  }
  return readBodyUpTo(response, MAX_SIGNATURE_BYTES, () => tooLarge(url.href));
}

/** Every signature of `digest` in the lookaside `base`, in order. */
export async function readLookasideSignatures(base: URL, repositoryPath: string, digest: Digest, context: HttpContext): Promise<StoredSignature[]> {
  const signatures: StoredSignature[] = [];
  for (let index = 1; index <= MAX_SIGNATURES; index++) {
    const url = lookasideUrl(base, repositoryPath, digest, index);
    const bytes = await readOne(url, context);
    if (bytes === undefined) break;
    signatures.push({ bytes, source: url.href });
  }
  return signatures;
}
