/**
 * @module harness/registry — a private Debian `docker-registry` (distribution 2.8) per test run.
 *
 * Always its own config: 127.0.0.1 on a free port, storage in a harness temp dir, deletes
 * enabled. Never Debian's /etc/docker/registry/config.yml (all interfaces, htpasswd). Spawned
 * under `setpriv --pdeathsig SIGKILL`, recorded in its temp dir for the sweep, stopped by PID.
 * Optional auth: htpasswd users (bcrypt hashes made by apache2-utils' `htpasswd -B`) or token
 * auth against a harness token server (token-server.ts); optional TLS with a throw-away CA.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execChecked } from './exec.js';
import { httpGet } from './http.js';
import { makeCertificate } from './https-server.js';
import { errnoCode, identify, waitFor, withTimeout } from './proc.js';
import type { TempDir } from './tmp.js';
import { makeTempDir, recordProcess } from './tmp.js';

/** A running registry from {@link startRegistry}. */
export interface Registry {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`) */
  readonly url: string;
  /** The CA that signed the registry's certificate (`tls` only; else ''). */
  readonly caFile: string;
  /** `127.0.0.1:<port>`, the host part of image references. */
  readonly host: string;
  readonly port: number;
  /** The storage root (filesystem driver `rootdirectory`). */
  readonly dataDir: string;
  readonly pid: number;
  /** SIGTERM (SIGKILL after 5 s), wait for exit, remove the data. Idempotent. */
  stop(): Promise<void>;
}

/** Auth the registry demands. */
export type RegistryAuth =
  | { readonly kind: 'htpasswd'; readonly users: Readonly<Record<string, string>> }
  | { readonly kind: 'token'; readonly realm: string; readonly service: string; readonly issuer: string; readonly certFile: string };

/** Options of {@link startRegistry}. */
export interface RegistryOptions {
  readonly auth?: RegistryAuth;
  /** Serve HTTPS with a certificate from a throw-away CA ({@link Registry.caFile}). */
  readonly tls?: boolean;
}

const ACCEPT_V2 = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('cannot determine a free loopback port');
  return address.port;
}

async function authLines(tmp: TempDir, auth: RegistryAuth | undefined): Promise<string[]> {
  if (auth === undefined) return [];
  if (auth.kind === 'token') {
    return [`auth: {token: {realm: "${auth.realm}", service: "${auth.service}", issuer: "${auth.issuer}", rootcertbundle: "${auth.certFile}"}}`];
  }
  const lines: string[] = [];
  for (const [user, password] of Object.entries(auth.users)) {
    lines.push((await execChecked(['htpasswd', '-nbB', user, password])).trim());
  }
  const file = join(tmp.path, 'htpasswd');
  await writeFile(file, `${lines.join('\n')}\n`);
  return [`auth: {htpasswd: {realm: rocklet-test, path: "${file}"}}`];
}

/** The extra config lines of one registry: auth, and the TLS files. */
interface Extra {
  readonly lines: readonly string[];
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

function config(dataDir: string, port: number, extra: Extra): string {
  const tls = extra.tls === undefined ? '' : `, tls: {certificate: "${extra.tls.certFile}", key: "${extra.tls.keyFile}"}`;
  return [
    ...extra.lines,
    'version: 0.1',
    'log: {level: warn, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: "${dataDir}"}, delete: {enabled: true}, cache: {blobdescriptor: inmemory}}`,
    `http: {addr: "127.0.0.1:${port}", secret: rocklet-test-registry${tls}}`,
    '',
  ].join('\n');
}

async function exitOf(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return (await withTimeout(once(child, 'exit').then(() => true), timeoutMs)) ?? false;
}

async function launch(tmp: TempDir, dataDir: string, extra: Extra): Promise<{ child: ChildProcess; port: number } | undefined> {
  const port = await freeLoopbackPort();
  const configPath = join(tmp.path, 'config.yml');
  await writeFile(configPath, config(dataDir, port, extra));
  const log = await open(join(tmp.path, 'registry.log'), 'a');
  let child: ChildProcess;
  try {
    child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', 'docker-registry', 'serve', configPath], { stdio: ['ignore', log.fd, log.fd] });
    await once(child, 'spawn');
  } finally {
    await log.close();
  }
  child.unref();
  const id = await identify(child.pid ?? 0);
  if (id !== undefined) await recordProcess(tmp.path, id);
  const ready = await waitFor(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return 'exited' as const;
    try {
      const status = (await httpGet(`${extra.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/v2/`, { Accept: ACCEPT_V2 }, 1_000)).status;
      return status === 200 || status === 401; // 401: up, and asking for credentials
    } catch (error) {
      if (errnoCode(error) === 'ECONNREFUSED') return false;
      throw error;
    }
  }, { timeoutMs: 10_000, intervalMs: 10 });
  if (ready === true) return { child, port };
  if (ready === undefined) {
    child.kill('SIGKILL');
    await exitOf(child, 5_000);
    throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 10 s`);
  }
  return undefined; // exited: most likely lost a race for the port; the caller retries
}

/** Starts a registry on 127.0.0.1:<free port> with its data in a fresh temp dir. */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const tmp = await makeTempDir('registry');
  const dataDir = join(tmp.path, 'data');
  try {
    await mkdir(dataDir);
    const extra: Extra = {
      lines: await authLines(tmp, options.auth),
      ...(options.tls === true ? { tls: await makeCertificate(tmp.path, '127.0.0.1') } : {}),
    };
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const started = await launch(tmp, dataDir, extra);
      if (started !== undefined) return registryHandle(tmp, dataDir, started, extra.tls?.caFile);
    }
    const log = await readFile(join(tmp.path, 'registry.log'), 'utf8');
    throw new Error(`docker-registry exited at start three times:\n${log.trim().split('\n').slice(-10).join('\n')}`);
  } catch (error) {
    await tmp.remove();
    throw error;
  }
}

function registryHandle(tmp: TempDir, dataDir: string, started: { child: ChildProcess; port: number }, caFile: string | undefined): Registry {
  const { child, port } = started;
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    // Our own unreaped child: its PID cannot have been reused yet.
    if (!(await exitOf(child, 0))) {
      child.kill('SIGTERM');
      if (!(await exitOf(child, 5_000))) {
        child.kill('SIGKILL');
        if (!(await exitOf(child, 5_000))) throw new Error(`docker-registry pid ${String(child.pid)} did not exit`);
      }
    }
    await tmp.remove();
  };
  return {
    url: `${caFile === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    caFile: caFile ?? '',
    host: `127.0.0.1:${port}`,
    port,
    dataDir,
    pid: child.pid ?? 0,
    stop: () => (stopping ??= stop()),
  };
}
