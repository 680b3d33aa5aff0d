/**
 * @module fetch/http-client — one GET over node:http(s) with rocklet's rules: HTTPS unless
 * `--insecure-options=http`, certificates checked against the configured roots unless `tls`,
 * redirects followed (at most {@link MAX_REDIRECTS}, never from https to http unless allowed),
 * and a no-progress timer instead of a total-time limit: the request fails with
 * `ERR_FETCH_STALLED` when nothing arrives for `stallTimeoutMs`, however long it runs in all.
 * The caller reads the body and calls {@link HttpResponse.progress} per chunk.
 */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { InsecureOptions } from '../../util/index.js';
import { errnoCode, failedPrecondition, isRockletError, unavailable, verificationFailed } from '../../util/index.js';
import type { FetchSettings } from './settings.js';

export const MAX_REDIRECTS = 10;

/** How requests are made. */
export interface HttpContext {
  readonly settings: FetchSettings;
  readonly insecure: InsecureOptions;
  readonly signal?: AbortSignal | undefined;
}

/** A response whose body is still to be read. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  readonly url: URL;
  readonly body: IncomingMessage;
  /** The signal the request was made with (an abort surfaces as its reason). */
  readonly signal: AbortSignal | undefined;
  /** Call on every body chunk: restarts the no-progress timer. */
  progress(): void;
  /** Stop the timer and release the connection (after the body was read, or to give it up). */
  close(): void;
}

/** Refuse plain HTTP unless allowed. Throws `ERR_FETCH_INSECURE`. */
export function checkScheme(url: URL, insecure: InsecureOptions, what = url.href): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && insecure.has('http')) return;
  throw failedPrecondition('ERR_FETCH_INSECURE', `refusing to fetch ${what}: ${url.protocol === 'http:' ? 'plain HTTP is not allowed' : `unsupported scheme ${url.protocol}`}`, {
    hint: url.protocol === 'http:' ? 'use https://, or pass --insecure-options=http to allow plain HTTP' : 'use an https:// URL',
  });
}

function stalled(url: URL, ms: number): Error {
  return unavailable('ERR_FETCH_STALLED', `${url.href}: no data for ${ms / 1000} s: the download stalled`, {
    hint: 'check the server or the network and try again; the stall timeout is set by --stall-timeout or fetch.stallTimeout in config.yaml',
  });
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER/;

function connectionError(url: URL, error: Error): Error {
  if (isRockletError(error)) return error;
  const code = errnoCode(error) ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  if (TLS_CODES.test(code)) {
    return verificationFailed('ERR_FETCH_TLS', `${url.href}: the server's TLS certificate is not trusted: ${detail}`, {
      hint: 'trust its CA with --ca-file FILE (or tls.caFile in config.yaml), or pass --insecure-options=tls',
      cause: error,
    });
  }
  return unavailable('ERR_FETCH_CONNECT', `${url.href}: cannot connect: ${detail}`, { cause: error });
}

/**
 * One GET of `url`, no redirects followed and no scheme check (the caller decides both; the
 * registry client drops credentials when a redirect changes host).
 */
export async function httpGetOnce(url: URL, headers: Record<string, string>, context: HttpContext): Promise<HttpResponse> {
  const { settings, insecure, signal } = context;
  // Loaded on the first request: node:https (with tls) costs ~15 ms to import, and most
  // commands that can fetch (run, prepare) find their images in the store.
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let target: ClientRequest | IncomingMessage | undefined;
    const stop = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      signal?.removeEventListener('abort', onAbort);
    };
    const arm = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => target?.destroy(stalled(url, settings.stallTimeoutMs)), settings.stallTimeoutMs);
    };
    const onAbort = (): void => {
      target?.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const options = {
      method: 'GET',
      headers: { 'user-agent': 'rocklet', ...headers },
      agent: false as const,
      ...(url.protocol === 'https:' ? { rejectUnauthorized: !insecure.has('tls'), ...(settings.ca === undefined ? {} : { ca: [...settings.ca] }) } : {}),
    };
    const req = request(url, options, (res) => {
      target = res;
      arm();
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        url,
        body: res,
        signal,
        progress: arm,
        close: () => {
          stop();
          if (!res.complete) res.destroy();
        },
      });
    });
    target = req;
    req.on('error', (error) => {
      stop();
      reject(signal?.aborted === true ? error : connectionError(url, error));
    });
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
    req.end();
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GET `url` with `headers`, following redirects. Resolves for every final status; the caller
 * interprets it. Errors: `ERR_FETCH_INSECURE`, `ERR_FETCH_TLS`, `ERR_FETCH_CONNECT`,
 * `ERR_FETCH_STALLED`, `ERR_FETCH_TOO_MANY_REDIRECTS`.
 */
export async function httpGet(url: URL, headers: Record<string, string>, context: HttpContext): Promise<HttpResponse> {
  let current = url;
  checkScheme(current, context.insecure);
  for (let hops = 0; ; hops++) {
    const response = await httpGetOnce(current, headers, context);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.status) || location === undefined) return response;
    response.close();
    if (hops >= MAX_REDIRECTS) {
      throw unavailable('ERR_FETCH_TOO_MANY_REDIRECTS', `${url.href}: more than ${MAX_REDIRECTS} redirects (last to ${location})`);
    }
    const next = new URL(location, current);
    if (current.protocol === 'https:' && next.protocol !== 'https:' && !context.insecure.has('http')) {
      throw failedPrecondition('ERR_FETCH_INSECURE', `refusing the redirect from ${current.href} to ${next.href}: it leaves HTTPS`, {
        hint: 'pass --insecure-options=http to allow plain HTTP',
      });
    }
    checkScheme(next, context.insecure);
    current = next;
  }
}

/**
 * Reads a whole body of at most `limit` bytes and closes the response; more throws
 * `tooLarge()`, a cut connection `ERR_FETCH_TRUNCATED` (see {@link bodyError}).
 */
export async function readBodyUpTo(response: HttpResponse, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      response.progress();
      size += (chunk as Buffer).length;
      if (size > limit) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw bodyError(response, error, size);
  } finally {
    response.close();
  }
  return Buffer.concat(chunks);
}

/** Read a small body (a page, a signature) whole; more than `limit` bytes is `ERR_FETCH_TOO_LARGE`. */
export async function readSmallBody(response: HttpResponse, limit: number): Promise<string> {
  const tooLarge = (): Error => failedPrecondition('ERR_FETCH_TOO_LARGE', `${response.url.href}: the response is larger than ${limit} bytes`);
  return (await readBodyUpTo(response, limit, tooLarge)).toString('utf8');
}

/** Map an error raised while reading a body: ours stay, a cut connection is `ERR_FETCH_TRUNCATED`. */
export function bodyError(response: HttpResponse, error: unknown, received: number): unknown {
  if (isRockletError(error)) return error;
  if (response.signal?.aborted === true) return response.signal.reason;
  const expected = response.headers['content-length'];
  return unavailable('ERR_FETCH_TRUNCATED', `${response.url.href}: the connection closed after ${received}${expected === undefined ? '' : ` of ${expected}`} bytes`, {
    hint: 'run the command again: the download resumes where it stopped when the server supports it',
    cause: error,
  });
}

/** The `HTTP 500 Internal Server Error` part of messages. */
export function describeStatus(response: HttpResponse): string {
  const text = response.body.statusMessage;
  return `HTTP ${response.status}${text === undefined || text === '' ? '' : ` ${text}`}`;
}
