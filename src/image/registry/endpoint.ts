/**
 * @module registry/endpoint — requests to one registry host (the registry itself or one of its
 * mirrors): base URL and scheme, authentication retries, redirects.
 *
 * Scheme: HTTPS, always, unless the registry is configured insecure; then HTTPS without
 * certificate checks is tried first and plain HTTP when the TLS connection fails (Docker's
 * rule for insecure registries). A mirror may name its scheme (`http://…`), which is refused
 * unless insecure. Redirects (blobs go to CDNs) are followed, but `Authorization` is dropped
 * when the host changes, and an https → http redirect is refused unless insecure.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { failedPrecondition, hasErrorCode, unavailable } from '../../util/index.js';
import type { InsecureFeature } from '../../util/index.js';
import type { HttpContext, HttpResponse } from '../fetch/http-client.js';
import { httpGetOnce, MAX_REDIRECTS } from '../fetch/http-client.js';
import type { FetchSettings } from '../fetch/settings.js';
import type { Credentials } from './auth-file.js';
import { parseChallenges } from './challenge.js';
import { transportError } from './registry-errors.js';
import { TokenAuthorizer } from './token-auth.js';

/** How to reach one endpoint. */
export interface EndpointOptions {
  /** `host[:port]`, or for mirrors also `https://host[:port]` / `http://host[:port]`. */
  readonly location: string;
  readonly insecure: boolean;
  readonly settings: FetchSettings;
  readonly credentials: Credentials | undefined;
  readonly credentialSource: string;
  readonly now: () => number;
  /** Retries of 429/502/503/504 answers per request (default {@link DEFAULT_RETRIES}). */
  readonly retries?: number;
}

/** One GET to make. */
export interface EndpointRequest {
  /** `/v2/…` */
  readonly path: string;
  /** The token scope; undefined for the ping. */
  readonly scope: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** What is fetched, for messages (`manifest 127.0.0.1:5000/a:1`). */
  readonly what: string;
  readonly signal?: AbortSignal | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_AUTH_ATTEMPTS = 3;
/** Answers that mean "try again soon" (formats.md §2.2 step 9). */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
/** Retries of such answers per request, unless the options say otherwise. */
export const DEFAULT_RETRIES = 3;
const MAX_RETRY_DELAY_MS = 10_000;

/** `Retry-After` in seconds (capped), else 250 ms doubled per retry. */
function retryDelayMs(retryAfter: string | undefined, retry: number): number {
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return Math.min(MAX_RETRY_DELAY_MS, seconds === undefined ? 250 * 2 ** retry : seconds * 1000);
}

function isConnectFailure(error: unknown): boolean {
  return hasErrorCode(error, 'ERR_FETCH_CONNECT') || hasErrorCode(error, 'ERR_FETCH_TLS');
}

/** Requests to one registry host. */
export class RegistryEndpoint {
  /** `host[:port]`, for messages and credential lookup. */
  readonly name: string;
  /** Auth state of this host (tokens are per endpoint: a mirror's realm is its own). */
  readonly authorizer: TokenAuthorizer;
  readonly #insecure: boolean;
  readonly #settings: FetchSettings;
  readonly #retries: number;
  #scheme: 'https:' | 'http:';
  /** True until the first answer over HTTPS: an insecure registry may still turn out to be plain HTTP. */
  #mayFallBack: boolean;

  constructor(options: EndpointOptions) {
    const explicit = /^(https?):\/\/([^/]+)\/?$/i.exec(options.location);
    this.name = (explicit?.[2] ?? options.location).toLowerCase();
    if (explicit === null && options.location.includes('/')) {
      throw failedPrecondition('ERR_REGISTRY_LOCATION', `"${options.location}" is not a registry location (host[:port] or http(s)://host[:port])`);
    }
    this.#scheme = explicit?.[1]?.toLowerCase() === 'http' ? 'http:' : 'https:';
    this.#mayFallBack = explicit === null && options.insecure;
    this.#insecure = options.insecure;
    this.#settings = options.settings;
    this.#retries = options.retries ?? DEFAULT_RETRIES;
    if (this.#scheme === 'http:' && !options.insecure) {
      throw failedPrecondition('ERR_REGISTRY_INSECURE', `refusing ${options.location}: plain HTTP is not allowed for a registry that is not configured insecure`, {
        hint: 'use https://, or configure the registry as insecure',
      });
    }
    this.authorizer = new TokenAuthorizer({
      name: this.name,
      credentials: options.credentials,
      credentialSource: options.credentialSource,
      http: this.#context(undefined),
      now: options.now,
    });
  }

  #context(signal: AbortSignal | undefined): HttpContext {
    const insecure = new Set<InsecureFeature>(this.#insecure ? ['http', 'tls'] : []);
    return { settings: this.#settings, insecure, signal };
  }

  /**
   * GET with authentication: resolves with the first answer that is neither a 401 nor, while
   * retries last, a 429/502/503/504 (waiting as `Retry-After` says, at most 10 s, else backing off).
   */
  async get(request: EndpointRequest): Promise<HttpResponse> {
    for (let attempt = 1, retries = 0; ; attempt++) {
      const sent = request.scope === undefined ? undefined : this.authorizer.header(request.scope);
      const headers = { ...request.headers, ...(sent === undefined ? {} : { authorization: sent }) };
      const response = await this.#send(request, headers);
      if (RETRY_STATUSES.has(response.status) && retries < this.#retries) {
        response.close();
        await delay(retryDelayMs(response.headers['retry-after'], retries++), undefined, { signal: request.signal });
        attempt--; // a retry is not another authentication attempt
        continue;
      }
      if (response.status !== 401 || request.scope === undefined) return response;
      const challenges = parseChallenges(response.headers['www-authenticate']);
      response.close();
      if (attempt >= MAX_AUTH_ATTEMPTS || !(await this.authorizer.answer(challenges, request.scope, sent, request.signal))) {
        throw this.authorizer.unauthorized(request.what, sent);
      }
    }
  }

  async #send(request: EndpointRequest, headers: Record<string, string>): Promise<HttpResponse> {
    try {
      const response = await this.#follow(new URL(request.path, `${this.#scheme}//${this.name}`), headers, request.signal);
      this.#mayFallBack = false;
      return response;
    } catch (error) {
      if (!this.#mayFallBack || !isConnectFailure(error)) throw transportError(error, request.what);
      this.#mayFallBack = false;
      this.#scheme = 'http:';
      return this.#send(request, headers);
    }
  }

  async #follow(start: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<HttpResponse> {
    const context = this.#context(signal);
    let url = start;
    let current = headers;
    for (let hops = 0; ; hops++) {
      const response = await httpGetOnce(url, current, context);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || location === undefined) return response;
      response.close();
      if (hops >= MAX_REDIRECTS) throw unavailable('ERR_REGISTRY_REDIRECTS', `${start.href}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && this.#insecure)) {
        throw failedPrecondition('ERR_REGISTRY_INSECURE', `refusing the redirect from ${url.href} to ${next.href}: plain HTTP is not allowed`, {
          hint: 'configure the registry as insecure to allow it',
        });
      }
      if (next.host !== url.host) {
        // Credentials are for the registry, never for the CDN it redirects to.
        const { authorization: _dropped, ...rest } = current;
        current = rest;
      }
      url = next;
    }
  }
}
