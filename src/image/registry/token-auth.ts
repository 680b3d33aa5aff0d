/**
 * @module registry/token-auth — what goes in `Authorization` for one registry endpoint.
 *
 * A 401 carries the challenge: `Bearer` → a token from the realm (`GET realm?service=…&scope=…`,
 * with Basic credentials when the operator configured some), cached per scope until its
 * `expires_in` (default and minimum 60 s, as the Go client does) passes; `Basic` → the
 * configured credentials directly. Token responses give `token` and/or `access_token`
 * (`access_token` preferred).
 */
import { failedPrecondition, isRockletError, permissionDenied, unavailable } from '../../util/index.js';
import type { HttpContext } from '../fetch/http-client.js';
import { httpGet, readSmallBody } from '../fetch/http-client.js';
import type { Credentials } from './auth-file.js';
import type { Challenge } from './challenge.js';
import { findChallenge } from './challenge.js';
import { isObject } from './descriptor.js';
import { transportError } from './registry-errors.js';

const MIN_TOKEN_SECONDS = 60;
const MAX_TOKEN_BODY = 1024 * 1024;

/** `repository:<path>:pull`, the scope of every pull request for one repository. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** What the authorizer needs besides the challenge. */
export interface TokenAuthOptions {
  /** The registry's name in messages (`127.0.0.1:5000`). */
  readonly name: string;
  readonly credentials: Credentials | undefined;
  /** Where the credentials came from, for messages (e.g. `/etc/rocklet/auth.json`). */
  readonly credentialSource: string;
  readonly http: HttpContext;
  /** Milliseconds since the epoch (tests move time forward). */
  readonly now: () => number;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

function basicHeader(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** Keeps the auth state of one endpoint: the scheme it asked for and the tokens it handed out. */
export class TokenAuthorizer {
  readonly #options: TokenAuthOptions;
  readonly #tokens = new Map<string, CachedToken>();
  #basic = false;
  /** Token requests made (tests check reuse). */
  tokenRequests = 0;

  constructor(options: TokenAuthOptions) {
    this.#options = options;
  }

  /** The header to send for `scope` now, if any. */
  header(scope: string): string | undefined {
    const cached = this.#tokens.get(scope);
    if (cached !== undefined && cached.expiresAt > this.#options.now()) return `Bearer ${cached.token}`;
    if (this.#basic && this.#options.credentials !== undefined) return basicHeader(this.#options.credentials);
    return undefined;
  }

  /**
   * Answers a 401's challenges. Resolves true when a retry with {@link header} may succeed;
   * false when nothing more can be tried (the caller reports the 401).
   * Throws `ERR_REGISTRY_TOKEN` / `ERR_REGISTRY_UNAUTHORIZED` when the token server fails.
   */
  async answer(challenges: readonly Challenge[], scope: string, sent: string | undefined, signal?: AbortSignal): Promise<boolean> {
    const bearer = findChallenge(challenges, 'bearer');
    if (bearer !== undefined && bearer.params.realm !== undefined) {
      // A refused token (expired early, or scoped too narrowly) is dropped and asked for again;
      // the caller bounds the attempts.
      if (sent?.startsWith('Bearer ') === true) this.#tokens.delete(scope);
      this.#tokens.set(scope, await this.#fetchToken(bearer.params.realm, bearer.params.service, scope, signal));
      return true;
    }
    if (findChallenge(challenges, 'basic') !== undefined && this.#options.credentials !== undefined && sent === undefined) {
      this.#basic = true;
      return true;
    }
    return false;
  }

  /** The 401 message: wrong credentials when some were sent, missing ones otherwise. */
  unauthorized(what: string, sent: string | undefined): Error {
    const { credentials, credentialSource, name } = this.#options;
    if (credentials !== undefined && sent !== undefined) {
      return permissionDenied('ERR_REGISTRY_UNAUTHORIZED', `${what}: ${name} refused the credentials of user "${credentials.username}" (from ${credentialSource})`, {
        hint: `check the user name and password for ${name} in ${credentialSource}`,
      });
    }
    return permissionDenied('ERR_REGISTRY_UNAUTHORIZED', `${what}: ${name} requires authentication${sent === undefined ? '' : ' (the token it issued was refused)'}`, {
      hint: `add credentials for ${name} to ${credentialSource} ({"auths":{"${name}":{"auth":"<base64 of user:password>"}}})`,
    });
  }

  async #fetchToken(realm: string, service: string | undefined, scope: string, signal: AbortSignal | undefined): Promise<CachedToken> {
    const { credentials, name, http, now } = this.#options;
    const what = `token for ${scope} from ${realm}`;
    let url: URL;
    try {
      url = new URL(realm);
    } catch (error) {
      throw unavailable('ERR_REGISTRY_TOKEN', `${name}: the auth challenge names an invalid token realm "${realm}"`, { cause: error });
    }
    if (service !== undefined) url.searchParams.set('service', service);
    // No scope: a login check asks for a token that grants nothing but proves the credentials.
    if (scope !== '') url.searchParams.append('scope', scope);
    const started = now();
    this.tokenRequests += 1;
    let body: string;
    try {
      const response = await httpGet(url, credentials === undefined ? {} : { authorization: basicHeader(credentials) }, { ...http, signal });
      if (response.status === 401 || response.status === 403) {
        response.close();
        throw permissionDenied('ERR_REGISTRY_UNAUTHORIZED', `${what}: the token server refused ${credentials === undefined ? 'anonymous access' : `the credentials of user "${credentials.username}" (from ${this.#options.credentialSource})`} (HTTP ${response.status})`, {
          hint: credentials === undefined ? `add credentials for ${name} to ${this.#options.credentialSource}` : `check the user name and password for ${name}`,
        });
      }
      if (response.status !== 200) {
        response.close();
        throw unavailable('ERR_REGISTRY_TOKEN', `${what}: the token server failed (HTTP ${response.status})`, { hint: 'the registry\'s token service may be down; try again later' });
      }
      body = await readSmallBody(response, MAX_TOKEN_BODY);
    } catch (error) {
      if (signal?.aborted === true || (isRockletError(error) && error.code.startsWith('ERR_REGISTRY_'))) throw error;
      throw unavailable('ERR_REGISTRY_TOKEN', `${what}: the token server failed: ${error instanceof Error ? error.message : String(error)}`, { cause: transportError(error, what) });
    }
    return parseTokenResponse(body, what, started);
  }
}

function parseTokenResponse(body: string, what: string, started: number): CachedToken {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    value = undefined;
  }
  if (!isObject(value)) throw failedPrecondition('ERR_REGISTRY_TOKEN', `${what}: the token server's answer is not a JSON object`);
  const token = typeof value.access_token === 'string' && value.access_token !== '' ? value.access_token : value.token;
  if (typeof token !== 'string' || token === '') throw failedPrecondition('ERR_REGISTRY_TOKEN', `${what}: the token server's answer has no "token" or "access_token"`);
  const expiresIn = typeof value.expires_in === 'number' && value.expires_in > MIN_TOKEN_SECONDS ? value.expires_in : MIN_TOKEN_SECONDS;
  return { token, expiresAt: started + expiresIn * 1000 };
}
