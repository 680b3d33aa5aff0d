/**
 * @module harness/token-server — a Docker registry token server (distribution's `auth/token.md`)
 * on 127.0.0.1, for registries started with `auth: token`.
 *
 * It signs RS256 JWTs with a throw-away RSA key whose self-signed certificate (made by openssl
 * in a harness temp dir) is the registry's `rootcertbundle`; the certificate travels in the
 * JWT's `x5c` header, which is how distribution 2.8 finds the verifying key. Every requested
 * action is granted to anonymous callers and to configured users with the right password; a
 * wrong password gets 401. `mode` makes it fail on purpose. Requests are counted for
 * assertions on token reuse.
 */
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { execChecked } from './exec.js';
import { makeTempDir } from './tmp.js';

/** How the server answers. */
export type TokenServerMode = 'ok' | 'fail' | 'garbage';

/** A running token server. */
export interface TokenServer {
  /** `http://127.0.0.1:<port>/token`, the registry's `realm`. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM certificate file for the registry's `rootcertbundle`. */
  readonly certFile: string;
  /** `ok` (default), `fail` (HTTP 500), `garbage` (200 with a body that is no token). */
  mode: TokenServerMode;
  /** Seconds the tokens say they live (`expires_in`). */
  expiresInSeconds: number;
  /** Every request's scope parameters and user ('' for anonymous), in order. */
  readonly requests: { readonly scopes: readonly string[]; readonly user: string }[];
  close(): Promise<void>;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function access(scopes: readonly string[]): { type: string; name: string; actions: string[] }[] {
  return scopes.flatMap((scope) => {
    const match = /^([^:]+):(.+):([^:]+)$/.exec(scope);
    return match === null ? [] : [{ type: match[1] ?? '', name: match[2] ?? '', actions: (match[3] ?? '').split(',') }];
  });
}

/** Starts a token server; `users` maps user names to passwords. */
export async function startTokenServer(options: { users?: Readonly<Record<string, string>> } = {}): Promise<TokenServer> {
  const tmp = await makeTempDir('token');
  const keyFile = join(tmp.path, 'token.key');
  const certFile = join(tmp.path, 'token.crt');
  await execChecked(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=rocklet test token issuer']);
  const key = createPrivateKey(await readFile(keyFile));
  const der = new X509Certificate(await readFile(certFile)).raw;
  const users = options.users ?? {};
  const sockets = new Set<Socket>();
  const state = { mode: 'ok' as TokenServerMode, expiresInSeconds: 300, requests: [] as { scopes: string[]; user: string }[] };
  const service = 'rocklet-test-registry';
  const issuer = 'rocklet-test-issuer';

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams.getAll('scope');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [user = '', password = ''] = basic === undefined ? [] : Buffer.from(basic, 'base64').toString('utf8').split(/:(.*)/s);
    state.requests.push({ scopes, user });
    if (state.mode === 'fail') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('token service broken\n');
    if (state.mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"nothing":true}');
    if (basic !== undefined && users[user] !== password) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('bad credentials\n');
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: issuer, sub: user, aud: service, exp: now + state.expiresInSeconds, nbf: now - 10, iat: now, jti: randomUUID(), access: access(scopes) };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const token = `${input}.${base64url(sign('sha256', Buffer.from(input), key))}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: state.expiresInSeconds, issued_at: new Date().toISOString() }));
  };
  const server = createServer(handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await tmp.remove();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return Object.assign(state, {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    close: (): Promise<void> => (closed ??= (async () => {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await done;
      await tmp.remove();
    })()),
  });
}
