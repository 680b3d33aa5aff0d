/**
 * @module image/trust/key-source — public keys from where an operator points: a local file or
 * an `https://` URL (plain `http://` only with the `http` insecure option, as for images).
 *
 * URLs go through the fetch module's HTTP client, so keys, discovery pages and images share one
 * set of TLS roots (`--ca-file` / `tls.caFile`), one redirect policy and one stall timeout. Keys
 * are small: a body or file over {@link MAX_KEY_BYTES} is refused rather than parsed.
 */
import { readFile, stat } from 'node:fs/promises';
import { errnoCode, invalidArgument, notFound } from '../../util/index.js';
import { statusError } from '../fetch/download.js';
import type { InsecureOptions } from '../../util/index.js';
import type { HttpContext } from '../fetch/http-client.js';
import { httpGet, readSmallBody } from '../fetch/http-client.js';
import { loadFetchSettings } from '../fetch/settings.js';
import type { PublicKeyInfo } from './public-key.js';
import { parsePublicKeys } from './public-key.js';

/** Largest key file or key response accepted (a key ring of a few keys is a few KiB). */
export const MAX_KEY_BYTES = 1024 * 1024;

/** The keys read from one location. */
export interface KeySource {
  /** The location as given (path or URL), for messages. */
  readonly location: string;
  readonly keys: readonly PublicKeyInfo[];
}

/** Options of {@link createKeyFetchContext}. */
export interface KeyFetchOptions {
  /** Extra trusted CA (PEM); default: `tls.caFile` of `<configDir>/config.yaml`, else none. */
  readonly caFile?: string | undefined;
  /** `http` allows plain-HTTP keys and discovery; `tls` skips certificate checks. */
  readonly insecure: InsecureOptions;
  readonly signal?: AbortSignal | undefined;
}

/** The HTTP context for key downloads and discovery: the fetch settings of `configDir`, with `options` applied. */
export async function createKeyFetchContext(configDir: string, options: KeyFetchOptions): Promise<HttpContext> {
  const settings = await loadFetchSettings(configDir, { caFile: options.caFile });
  return { settings, insecure: options.insecure, signal: options.signal };
}

/** True for locations read over the network rather than from a file. */
export function isUrlLocation(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

/** Reads the text at `url` (200 only). Errors: those of the fetch HTTP client and its status errors. */
export async function fetchSmallText(url: URL, context: HttpContext, limit = MAX_KEY_BYTES): Promise<string> {
  const response = await httpGet(url, { accept: 'application/pgp-keys, text/plain, */*' }, context);
  if (response.status !== 200) statusError(response);
  return readSmallBody(response, limit);
}

async function readKeyFile(file: string): Promise<Buffer> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw invalidArgument('ERR_TRUST_KEY_INVALID', `key "${file}" is not a regular file`);
    if (info.size > MAX_KEY_BYTES) {
      throw invalidArgument('ERR_TRUST_KEY_INVALID', `key file "${file}" is ${info.size} bytes, more than an OpenPGP public key can reasonably be (${MAX_KEY_BYTES})`);
    }
    return await readFile(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound('ERR_TRUST_KEY_NOT_FOUND', `key file "${file}" does not exist`);
    throw error;
  }
}

/**
 * Reads and parses the keys at `location` (file path or URL). Throws ERR_TRUST_KEY_NOT_FOUND,
 * ERR_TRUST_KEY_INVALID (no key in it, not a file, too large), ERR_TRUST_KEY_URL (a scheme
 * other than https/http), and the fetch client's errors (ERR_FETCH_INSECURE, ERR_FETCH_TLS …).
 */
export async function readKeySource(location: string, context: HttpContext): Promise<KeySource> {
  if (!isUrlLocation(location)) {
    return { location, keys: await parsePublicKeys(await readKeyFile(location), location) };
  }
  let url: URL;
  try {
    url = new URL(location);
  } catch (error) {
    throw invalidArgument('ERR_TRUST_KEY_URL', `"${location}" is not a valid URL`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidArgument('ERR_TRUST_KEY_URL', `cannot fetch keys from "${location}": only https:// URLs and file paths are supported`);
  }
  const text = await fetchSmallText(url, context);
  return { location, keys: await parsePublicKeys(text, location) };
}
