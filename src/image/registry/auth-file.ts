/**
 * @module registry/auth-file — registry credentials from `<config-dir>/auth.json`, in Docker's
 * `config.json` `auths` format so users can copy theirs:
 *
 * ```json
 * {"auths": {"registry.example.com": {"auth": "<base64 of user:password>"},
 *            "https://index.docker.io/v1/": {"username": "u", "password": "p"}}}
 * ```
 *
 * Keys may carry a scheme and path (Docker writes `https://index.docker.io/v1/` for Docker Hub);
 * they are reduced to the host, and Docker Hub's hosts to `docker.io`. The file is read once
 * into typed values; every error names the file and the key. Credentials never appear in
 * messages.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument, readTextIfExists, writeFileAtomic } from '../../util/index.js';
import { isObject } from './descriptor.js';

export const AUTH_FILE_NAME = 'auth.json';

/** A user name and password for HTTP Basic auth (at the registry or its token server). */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Credentials by registry host (`docker.io`, `127.0.0.1:5000`). */
export type CredentialStore = ReadonlyMap<string, Credentials>;

const HUB_HOSTS = new Set(['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** `https://index.docker.io/v1/` → `docker.io`; `host:5000/path` → `host:5000`. */
export function credentialKey(key: string): string {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0]?.toLowerCase() ?? '';
  return HUB_HOSTS.has(host) ? 'docker.io' : host;
}

function entryCredentials(file: string, key: string, value: unknown): Credentials | undefined {
  const where = `${file}: auths[${JSON.stringify(key)}]`;
  if (!isObject(value)) throw invalidArgument('ERR_REGISTRY_AUTH_FILE', `${where} must be an object`);
  const { auth, username, password } = value;
  if (auth !== undefined && auth !== '') {
    if (typeof auth !== 'string') throw invalidArgument('ERR_REGISTRY_AUTH_FILE', `${where}.auth must be a string`);
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (!/^[A-Za-z0-9+/]+=*$/.test(auth) || colon <= 0) {
      throw invalidArgument('ERR_REGISTRY_AUTH_FILE', `${where}.auth is not the base64 encoding of "user:password"`, {
        hint: 'write it as e.g. `printf %s user:password | base64`',
      });
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (username === undefined && password === undefined) return undefined; // e.g. only identitytoken: not supported, ignored
  if (typeof username !== 'string' || username === '' || typeof password !== 'string') {
    throw invalidArgument('ERR_REGISTRY_AUTH_FILE', `${where} needs both "username" and "password" as strings (or "auth")`);
  }
  return { username, password };
}

/** Parses the text of an auth file; `file` names it in messages. */
export function parseAuthFile(text: string, file: string): CredentialStore {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw invalidArgument('ERR_REGISTRY_AUTH_FILE', `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(body)) throw invalidArgument('ERR_REGISTRY_AUTH_FILE', `${file}: must be a JSON object with an "auths" object`);
  const auths = body.auths;
  if (auths === undefined) return new Map();
  if (!isObject(auths)) throw invalidArgument('ERR_REGISTRY_AUTH_FILE', `${file}: auths must be an object of registry hosts`);
  const store = new Map<string, Credentials>();
  for (const [key, value] of Object.entries(auths)) {
    const credentials = entryCredentials(file, key, value);
    if (credentials !== undefined) store.set(credentialKey(key), credentials);
  }
  return store;
}

/** Reads `<configDir>/auth.json`; a missing file means no credentials. */
export async function loadCredentials(configDir: string): Promise<CredentialStore> {
  const file = path.join(configDir, AUTH_FILE_NAME);
  const text = await readTextIfExists(file);
  return text === undefined ? new Map() : parseAuthFile(text, file);
}

/**
 * Set (or with `credentials` undefined, remove) the entry of `registry` in
 * `<configDir>/auth.json`, keeping everything else in the file (Docker's format: `auths` →
 * `{ auth: base64(user:password) }`). Written atomically, mode 0600. Returns false when a
 * removal found no entry. Errors: `ERR_REGISTRY_AUTH_FILE` for a file that is not an object.
 */
export async function storeCredentials(configDir: string, registry: string, credentials: Credentials | undefined): Promise<boolean> {
  const file = path.join(configDir, AUTH_FILE_NAME);
  const text = await readTextIfExists(file);
  const body: Record<string, unknown> = text === undefined ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (!isObject(body)) throw invalidArgument('ERR_REGISTRY_AUTH_FILE', `${file}: must be a JSON object with an "auths" object`);
  const auths: Record<string, unknown> = isObject(body.auths) ? { ...body.auths } : {};
  const key = credentialKey(registry);
  const existing = Object.keys(auths).filter((name) => credentialKey(name) === key);
  for (const name of existing) delete auths[name];
  if (credentials === undefined && existing.length === 0) return false;
  if (credentials !== undefined) auths[key] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
  await mkdir(configDir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, `${JSON.stringify({ ...body, auths }, null, 2)}\n`, { mode: 0o600 });
  return true;
}
