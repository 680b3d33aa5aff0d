/**
 * @module harness/https-server — a loopback HTTPS (or plain HTTP) server with programmable
 * routes, for fetch tests: serve bytes (with ETag, Last-Modified, Cache-Control, Range and
 * conditional requests), fixed statuses, redirects, a body that stalls, a connection that
 * closes early. Its certificate comes from a throw-away CA made by `openssl` in a temp dir
 * (`caFile`), valid for the listening IP and `localhost`.
 *
 * A path may hold a sequence of routes: each request takes the next one, the last repeats
 * (e.g. "close early, then serve"). Every request is logged for assertions.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { execChecked } from './exec.js';
import { makeTempDir } from './tmp.js';

/** Validators and cache headers of served bytes. */
export interface BytesOptions {
  readonly etag?: string;
  /** Sent as Last-Modified (HTTP date). */
  readonly lastModified?: Date;
  /** Sent as Cache-Control, e.g. `max-age=3600`. */
  readonly cacheControl?: string;
  /** Honour `Range` (default true); false answers every request with the whole body (200). */
  readonly ranges?: boolean;
  readonly contentType?: string;
  /** Send the headers, then wait this long before the body (to keep a download in flight). */
  readonly delayMs?: number;
}

/** What the server does for one request of a path. */
export type Route =
  | ({ readonly kind: 'bytes'; readonly body: Buffer | string } & BytesOptions)
  | { readonly kind: 'status'; readonly status: number; readonly body?: string }
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: 301 | 302 | 303 | 307 | 308 }
  /** Headers with the full Content-Length, `afterBytes` of the body, then silence until closed. */
  | ({ readonly kind: 'stall'; readonly body: Buffer; readonly afterBytes: number } & BytesOptions)
  /** Headers with the full Content-Length, `afterBytes` of the body, then the socket is destroyed. */
  | ({ readonly kind: 'close-early'; readonly body: Buffer; readonly afterBytes: number } & BytesOptions)
  | { readonly kind: 'handler'; readonly handle: (req: IncomingMessage, res: ServerResponse) => void };

/** One request the server saw. */
export interface LoggedRequest {
  readonly method: string;
  /** Path and query as sent (`/a/b?ac-discovery=1`). */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The status the route answered with (0 when the connection was cut first). */
  status: number;
}

/** Options of {@link startHttpsServer}. */
export interface HttpsServerOptions {
  /** Default 127.0.0.1; any 127.x.y.z works on Linux (all of 127/8 is loopback). */
  readonly host?: string;
  /** Default 0 (any free port). Discovery tests need 443 (image names carry no port). */
  readonly port?: number;
  /** Default true; false serves plain HTTP (no certificate). */
  readonly tls?: boolean;
}

/** A running server. */
export interface HttpsServer {
  /** `https://127.0.0.1:PORT` (no port when it is the scheme's default). */
  readonly origin: string;
  readonly host: string;
  readonly port: number;
  /** PEM file of the CA that signed the server certificate (empty string for plain HTTP). */
  readonly caFile: string;
  readonly requests: readonly LoggedRequest[];
  /** Set the routes of `path` (path plus optional query; a route without query also matches any query). */
  route(path: string, ...routes: Route[]): void;
  /** Requests whose URL (path + query, exactly) equals `url`. */
  requestsFor(url: string): LoggedRequest[];
  /** Closes the listener and every open connection, removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

/** A strong ETag for `body` (quoted sha256 prefix). */
export function etagOf(body: Buffer | string): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
}

/**
 * A throw-away CA (`<dir>/ca.crt`) and a server certificate it signed for `host` (an IP) and
 * `localhost` (`<dir>/server.crt`, key `<dir>/server.key`).
 */
export async function makeCertificate(dir: string, host: string): Promise<{ key: Buffer; cert: Buffer; caFile: string; certFile: string; keyFile: string }> {
  const file = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await execChecked(['openssl', 'req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2',
    '-subj', '/CN=rocklet test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await execChecked(['openssl', 'req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${host}`]);
  await writeFile(file('server.ext'), `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:${host},DNS:localhost\n`);
  await execChecked(['openssl', 'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext')]);
  return { key: await readFile(file('server.key')), cert: await readFile(file('server.crt')), caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

function headersOf(options: BytesOptions, length: number): Record<string, string | number> {
  return {
    'content-type': options.contentType ?? 'application/octet-stream',
    'content-length': length,
    ...(options.ranges === false ? {} : { 'accept-ranges': 'bytes' }),
    ...(options.etag === undefined ? {} : { etag: options.etag }),
    ...(options.lastModified === undefined ? {} : { 'last-modified': options.lastModified.toUTCString() }),
    ...(options.cacheControl === undefined ? {} : { 'cache-control': options.cacheControl }),
  };
}

function notModified(req: IncomingMessage, options: BytesOptions): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return options.etag !== undefined && inm.split(',').map((t) => t.trim()).includes(options.etag);
  const ims = req.headers['if-modified-since'];
  if (ims === undefined || options.lastModified === undefined) return false;
  return Math.floor(options.lastModified.getTime() / 1000) <= Math.floor(Date.parse(ims) / 1000);
}

/** The start offset of a `Range: bytes=N-` the route may honour, else undefined. */
function rangeStart(req: IncomingMessage, options: BytesOptions, length: number): number | undefined {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (options.ranges === false || range === null) return undefined;
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined) {
    const matches = ifRange === options.etag || (options.lastModified !== undefined && ifRange === options.lastModified.toUTCString());
    if (!matches) return undefined;
  }
  const start = Number(range[1]);
  return start < length ? start : undefined;
}

/**
 * Serves `body` (from a requested range), only its first `limit` bytes when given; `onSent` runs
 * once those bytes have left the process (handed to the kernel), so cutting the connection then
 * loses none of them however slowly the client reads.
 */
function serveBody(req: IncomingMessage, res: ServerResponse, body: Buffer, options: BytesOptions, log: LoggedRequest, limit?: number, onSent?: () => void): number {
  if (notModified(req, options)) {
    log.status = 304;
    res.writeHead(304, { ...(options.etag === undefined ? {} : { etag: options.etag }), ...(options.cacheControl === undefined ? {} : { 'cache-control': options.cacheControl }) });
    res.end();
    return -1;
  }
  const start = rangeStart(req, options, body.length) ?? 0;
  const part = body.subarray(start);
  const headers = headersOf(options, part.length);
  log.status = start > 0 ? 206 : 200;
  if (start > 0) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
  else res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return -1;
  }
  if (limit === undefined) {
    if (options.delayMs === undefined) res.end(part);
    else {
      res.flushHeaders();
      setTimeout(() => res.end(part), options.delayMs).unref();
    }
    return -1;
  }
  res.write(part.subarray(0, Math.max(0, limit - start)), () => onSent?.());
  return start;
}

function handle(route: Route, req: IncomingMessage, res: ServerResponse, log: LoggedRequest): void {
  switch (route.kind) {
    case 'bytes':
      serveBody(req, res, Buffer.from(route.body), route, log);
      return;
    case 'status':
      log.status = route.status;
      res.writeHead(route.status, { 'content-type': 'text/plain' });
      res.end(route.body ?? `status ${route.status}\n`);
      return;
    case 'redirect':
      log.status = route.status ?? 302;
      res.writeHead(log.status, { location: route.location });
      res.end();
      return;
    case 'stall':
      serveBody(req, res, route.body, route, log, route.afterBytes);
      return;
    case 'close-early':
      // The cut comes only after the written bytes have left: a fixed delay lost some of them
      // when the client read slowly (a loaded machine), and the kept partial was shorter.
      serveBody(req, res, route.body, route, log, route.afterBytes, () => res.socket?.end());
      return;
    case 'handler':
      route.handle(req, res);
      return;
  }
}

/** Starts a server; close it with `close()` (e.g. in `after`). */
export async function startHttpsServer(options: HttpsServerOptions = {}): Promise<HttpsServer> {
  const host = options.host ?? '127.0.0.1';
  const secure = options.tls !== false;
  const tmp = await makeTempDir('https');
  const routes = new Map<string, { list: Route[]; next: number }>();
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const log: LoggedRequest = { method: req.method ?? 'GET', url, headers: req.headers, status: 0 };
    requests.push(log);
    // Handler routes answer on their own; their status is read when the response is done.
    res.on('close', () => {
      if (log.status === 0 && res.headersSent) log.status = res.statusCode;
    });
    const entry = routes.get(url) ?? routes.get(url.split('?')[0] ?? url);
    const route = entry === undefined ? undefined : entry.list[Math.min(entry.next++, entry.list.length - 1)];
    if (route === undefined) {
      log.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    handle(route, req, res, log);
  };
  let server: Server;
  let caFile = '';
  try {
    if (secure) {
      const material = await makeCertificate(tmp.path, host);
      caFile = material.caFile;
      server = createHttpsServer({ key: material.key, cert: material.cert }, listener);
    } else {
      server = createHttpServer(listener);
    }
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await tmp.remove();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const defaultPort = secure ? 443 : 80;
  let closed: Promise<void> | undefined;
  return {
    origin: `${secure ? 'https' : 'http'}://${host}${port === defaultPort ? '' : `:${port}`}`,
    host,
    port,
    caFile,
    requests,
    route(path: string, ...list: Route[]): void {
      routes.set(path, { list, next: 0 });
    },
    requestsFor(url: string): LoggedRequest[] {
      return requests.filter((r) => r.url === url);
    },
    close(): Promise<void> {
      closed ??= (async () => {
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await done;
        await tmp.remove();
      })();
      return closed;
    },
  };
}
