/**
 * @module image/policy/edit — the changes `rocklet trust` makes to the signature policy:
 * set one scope's requirement in policy.json (replacing what the scope had, as
 * `podman image trust set` does), copy the keys it names under `<config-dir>/policy-keys/`
 * (and remove the copies the new policy no longer names),
 * and point a scope at a lookaside in `<config-dir>/registries.d/rocklet-<scope>.yaml`.
 *
 * Every write is atomic (temp + fsync + rename) and happens only after the complete new
 * document parsed and its keys loaded, so a bad key or a broken existing file leaves the
 * configuration as it was. Other keys and scopes of policy.json are kept as written. A
 * policy.json created here starts from `"default": [{"type": "reject"}]`.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, failedPrecondition, invalidArgument, loadYaml, readTextIfExists, writeFileAtomic } from '../../util/index.js';
import { assertKeyUsable, parsePublicKeys } from '../trust/public-key.js';
import type { JsonObject } from './json-path.js';
import { isJsonObject, located } from './json-path.js';
import { POLICY_FILE_NAME } from './load.js';
import { parsePolicy } from './policy-parse.js';
import { loadPolicyKeys, parsePemPublicKeys, policyKeyFiles, sigstoreKeyFingerprint } from './policy-keys.js';
import type { PullTransport } from './policy-types.js';
import { loadRegistriesConfig, parseRegistriesFile, REGISTRIES_D_DIR } from './registries-d.js';
import { dockerScopeProblem } from './scope.js';

/** Where copied keys go. */
export const POLICY_KEYS_DIR = 'policy-keys';

/** The requirement kinds `rocklet trust --type` writes. */
export const TRUST_TYPES = ['signedBy', 'sigstoreSigned', 'reject', 'accept'] as const;
export type TrustType = (typeof TRUST_TYPES)[number];

/** One `rocklet trust --type=…` request. */
export interface PolicyEntry {
  readonly transport: PullTransport;
  /** A scope of `transport`, or `default` for the policy's default. */
  readonly scope: string;
  readonly type: TrustType;
  /** Key files (signedBy: OpenPGP; sigstoreSigned: PEM). */
  readonly keyFiles: readonly string[];
}

/** What {@link setPolicyEntry} did. */
export interface PolicyEntryResult {
  readonly file: string;
  readonly created: boolean;
  /** The JSON path it wrote, e.g. `transports.docker["quay.io"]`. */
  readonly at: string;
  readonly requirement: JsonObject;
  /** The keys copied, as stored. */
  readonly keyPaths: readonly string[];
  /** Keys rocklet had copied that the policy no longer names, now removed. */
  readonly removedKeyPaths: readonly string[];
}

/** The names {@link copyGpgKeys} and {@link copySigstoreKeys} give copied keys. */
const COPIED_KEY_NAME = /^(?:[0-9a-f]{40}|[0-9a-f]{64})\.gpg$|^sigstore-[0-9a-f]{32}\.pub$/;

/**
 * Removes the keys rocklet copied into `keyDir` that `named` (the new policy's key files) no
 * longer includes, so a scope set to another key, or to reject/accept, leaves no stale trust
 * material behind. Files of other names there are the operator's and stay.
 */
async function pruneCopiedKeys(keyDir: string, named: ReadonlySet<string>): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(keyDir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names.sort()) {
    const file = path.resolve(keyDir, name);
    if (!COPIED_KEY_NAME.test(name) || named.has(file)) continue;
    await rm(file, { force: true });
    removed.push(file);
  }
  return removed;
}

async function copyGpgKeys(dir: string, files: readonly string[]): Promise<string[]> {
  const written: string[] = [];
  for (const file of files) {
    for (const key of await parsePublicKeys(await readFile(file), file)) {
      assertKeyUsable(key, file);
      const dest = path.join(dir, `${key.fingerprint}.gpg`);
      await writeFileAtomic(dest, key.armored, { mode: 0o644 });
      written.push(dest);
    }
  }
  return written;
}

async function copySigstoreKeys(dir: string, files: readonly string[]): Promise<string[]> {
  const written: string[] = [];
  for (const file of files) {
    let keys;
    try {
      keys = parsePemPublicKeys(await readFile(file));
    } catch (error) {
      throw invalidArgument('ERR_TRUST_KEY_INVALID', `"${file}" is not a PEM public key: ${error instanceof Error ? error.message : String(error)}`, { hint: 'give the cosign.pub that `cosign generate-key-pair` wrote' });
    }
    for (const key of keys) {
      const dest = path.join(dir, `sigstore-${sigstoreKeyFingerprint(key).slice('sha256:'.length, 'sha256:'.length + 32)}.pub`);
      await writeFileAtomic(dest, key.export({ type: 'spki', format: 'pem' }).toString(), { mode: 0o644 });
      written.push(dest);
    }
  }
  return written;
}

function checkScope(entry: PolicyEntry): void {
  if (entry.scope === 'default') return;
  const problem = entry.transport === 'docker' ? dockerScopeProblem(entry.scope) : entry.scope.startsWith('/') || entry.scope === '' ? undefined : `"${entry.scope}" must be an absolute path`;
  if (problem !== undefined) throw invalidArgument('ERR_POLICY_SCOPE', `invalid --scope: ${problem}`, { hint: 'a registry (quay.io), a namespace or repository (quay.io/team/app), *.example.com, or "default"' });
}

/** Sets the requirement of `entry.scope` in `<configDir>/policy.json`. */
export async function setPolicyEntry(configDir: string, entry: PolicyEntry): Promise<PolicyEntryResult> {
  checkScope(entry);
  const wantsKeys = entry.type === 'signedBy' || entry.type === 'sigstoreSigned';
  if (wantsKeys !== (entry.keyFiles.length > 0)) {
    throw invalidArgument('ERR_POLICY_KEYS', wantsKeys ? `--type=${entry.type} needs --pubkeys=FILE` : `--type=${entry.type} takes no --pubkeys`);
  }
  const file = path.join(configDir, POLICY_FILE_NAME);
  const text = await readTextIfExists(file);
  if (text !== undefined) parsePolicy(text, file); // never rewrite a file we cannot read
  const document = (text === undefined ? { default: [{ type: 'reject' }] } : JSON.parse(text)) as Record<string, unknown>;
  const keyDir = path.join(configDir, POLICY_KEYS_DIR);
  if (wantsKeys) await mkdir(keyDir, { recursive: true, mode: 0o755 });
  const keyPaths = entry.type === 'signedBy' ? await copyGpgKeys(keyDir, entry.keyFiles) : entry.type === 'sigstoreSigned' ? await copySigstoreKeys(keyDir, entry.keyFiles) : [];
  const keys = keyPaths.length === 1 ? { keyPath: keyPaths[0] } : { keyPaths };
  const requirement: JsonObject = entry.type === 'accept' ? { type: 'insecureAcceptAnything' }
    : entry.type === 'reject' ? { type: 'reject' }
      : entry.type === 'signedBy' ? { type: 'signedBy', keyType: 'GPGKeys', ...keys } : { type: 'sigstoreSigned', ...keys };
  let at = 'default';
  if (entry.scope === 'default') {
    document.default = [requirement];
  } else {
    const transports = isJsonObject(document.transports) ? { ...document.transports } : {};
    const scopes = isJsonObject(transports[entry.transport]) ? { ...(transports[entry.transport] as JsonObject) } : {};
    scopes[entry.scope] = [requirement];
    transports[entry.transport] = scopes;
    document.transports = transports;
    at = `transports.${entry.transport}[${JSON.stringify(entry.scope)}]`;
  }
  const newText = `${JSON.stringify(document, null, 2)}\n`;
  const newPolicy = parsePolicy(newText, file);
  await loadPolicyKeys(newPolicy);
  await mkdir(configDir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, newText, { mode: 0o644 });
  const removedKeyPaths = await pruneCopiedKeys(keyDir, policyKeyFiles(newPolicy));
  return { file, created: text === undefined, at, requirement, keyPaths, removedKeyPaths };
}

/** The registries.d file rocklet writes for `scope`. */
export function lookasideFileFor(configDir: string, scope: string): string {
  return path.join(configDir, REGISTRIES_D_DIR, `rocklet-${scope.replace(/[^A-Za-z0-9.-]+/g, '_')}.yaml`);
}

/** Points `scope` (docker) at the lookaside `url` in registries.d. Returns the file written. */
export async function setLookaside(configDir: string, scope: string, url: string): Promise<string> {
  const problem = scope === 'default' ? undefined : dockerScopeProblem(scope);
  if (problem !== undefined || scope === '') throw invalidArgument('ERR_POLICY_SCOPE', `invalid --scope: ${problem ?? 'must not be empty'}`);
  const file = lookasideFileFor(configDir, scope);
  const text = scope === 'default'
    ? (await loadYaml()).stringify({ 'default-docker': { lookaside: url } })
    : (await loadYaml()).stringify({ docker: { [scope]: { lookaside: url } } });
  const existing = await loadRegistriesConfig(configDir);
  const other = scope === 'default' ? existing.defaultDocker : existing.docker.get(scope);
  if (other !== undefined && !other.origin.startsWith(`${file}:`)) {
    throw failedPrecondition('ERR_POLICY_LOOKASIDE_CONFLICT', `${located(other.origin, '', `already configures ${scope === 'default' ? 'default-docker' : `scope "${scope}"`}`).replace(/: $/, '')}`, {
      hint: 'edit that file instead, or remove the scope from it',
    });
  }
  parseRegistriesFile(text, file, { docker: new Map() }); // refuses a URL containers-registries.d(5) would not take
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, text, { mode: 0o644 });
  return file;
}
