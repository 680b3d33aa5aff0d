/**
 * @module image/policy/policy-keys — the keys a policy names, read once when the policy is
 * loaded: OpenPGP keys for `signedBy` (through the trust module's parser, openpgp loaded on
 * first use) and PEM public keys for `sigstoreSigned` (node:crypto). A missing or unreadable
 * key is a policy error naming the file and the key's JSON path, not a rejection later.
 */
import type { KeyObject } from 'node:crypto';
import { createHash, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Key } from 'openpgp';
import { errnoCode, isRockletError } from '../../util/index.js';
import { loadOpenpgp } from '../trust/openpgp-lib.js';
import { describeKey, readKeyObjects } from '../trust/public-key.js';
import { policyError } from './json-path.js';
import type { KeySpec, Policy, Requirement } from './policy-types.js';

/** Largest key file read (a key ring of a few keys is a few KiB). */
const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** One OpenPGP key of a signedBy requirement. */
export interface GpgPolicyKey {
  readonly fingerprint: string;
  readonly keyIds: readonly string[];
  readonly key: Key;
  /** The file or `keyData`, for messages. */
  readonly source: string;
}

/** One public key of a sigstoreSigned requirement. */
export interface SigstorePolicyKey {
  /** `sha256:` + hex of the key's SubjectPublicKeyInfo DER, a stable name for it. */
  readonly fingerprint: string;
  readonly key: KeyObject;
  readonly source: string;
}

/** The keys of every signing requirement, by the requirement's JSON path. */
export interface PolicyKeys {
  readonly gpg: ReadonlyMap<string, readonly GpgPolicyKey[]>;
  readonly sigstore: ReadonlyMap<string, readonly SigstorePolicyKey[]>;
}

async function keyBytes(file: string, spec: KeySpec): Promise<{ bytes: Buffer; source: string }> {
  if (spec.source === 'data') return { bytes: spec.data, source: `${file}: ${spec.at}` };
  try {
    const bytes = await readFile(spec.path);
    if (bytes.length > MAX_KEY_FILE_BYTES) throw policyError(file, spec.at, `"${spec.path}" is larger than ${MAX_KEY_FILE_BYTES} bytes: not a public key`);
    return { bytes, source: spec.path };
  } catch (error) {
    if (isRockletError(error)) throw error;
    const code = errnoCode(error);
    throw policyError(file, spec.at, code === 'ENOENT' ? `key file "${spec.path}" does not exist` : `cannot read key file "${spec.path}": ${code ?? String(error)}`);
  }
}

async function gpgKeys(file: string, specs: readonly KeySpec[]): Promise<GpgPolicyKey[]> {
  const openpgp = await loadOpenpgp();
  const result: GpgPolicyKey[] = [];
  for (const spec of specs) {
    const { bytes, source } = await keyBytes(file, spec);
    let keys: Key[];
    try {
      keys = await readKeyObjects(openpgp, bytes, source);
    } catch (error) {
      throw policyError(file, spec.at, isRockletError(error) ? error.message : String(error), 'export the key with: gpg --armor --export FINGERPRINT > key.gpg');
    }
    for (const key of keys) {
      const info = await describeKey(key);
      result.push({ fingerprint: info.fingerprint, keyIds: info.keyIds, key: key.isPrivate() ? key.toPublic() : key, source });
    }
  }
  return result;
}

/** The SPKI fingerprint that names a sigstore key: `sha256:<hex>`. */
export function sigstoreKeyFingerprint(key: KeyObject): string {
  return `sha256:${createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

/** Parses PEM public keys (one or several `PUBLIC KEY` blocks). */
export function parsePemPublicKeys(bytes: Buffer): KeyObject[] {
  const blocks = bytes.toString('utf8').match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no "-----BEGIN PUBLIC KEY-----" block found (cosign public keys are PEM)');
  return blocks.map((block) => createPublicKey({ key: block, format: 'pem' }));
}

function sigstoreKeys(file: string, specs: readonly KeySpec[]): Promise<SigstorePolicyKey[]> {
  return Promise.all(specs.map(async (spec) => {
    const { bytes, source } = await keyBytes(file, spec);
    let keys: KeyObject[];
    try {
      keys = parsePemPublicKeys(bytes);
    } catch (error) {
      throw policyError(file, spec.at, `"${source}" is not a PEM public key: ${error instanceof Error ? error.message : String(error)}`, 'give the cosign.pub that `cosign generate-key-pair` wrote');
    }
    return keys.map((key) => ({ fingerprint: sigstoreKeyFingerprint(key), key, source }));
  })).then((lists) => lists.flat());
}

/** The key files `policy` names (absolute paths; inline `keyData` keys are no files). */
export function policyKeyFiles(policy: Policy): ReadonlySet<string> {
  return new Set(signingRequirements(policy).flatMap((r) => (r.type === 'signedBy' || r.type === 'sigstoreSigned' ? r.keys : []))
    .flatMap((spec) => (spec.source === 'path' ? [path.resolve(spec.path)] : [])));
}

function signingRequirements(policy: Policy): Requirement[] {
  const lists = [policy.default, ...[...policy.transports.values()].flat()];
  return lists.flatMap((list) => list.requirements).filter((r) => r.type === 'signedBy' || r.type === 'sigstoreSigned');
}

/** Reads and parses every key `policy` names. Throws ERR_POLICY_INVALID naming the key. */
export async function loadPolicyKeys(policy: Policy): Promise<PolicyKeys> {
  const gpg = new Map<string, readonly GpgPolicyKey[]>();
  const sigstore = new Map<string, readonly SigstorePolicyKey[]>();
  for (const requirement of signingRequirements(policy)) {
    if (requirement.type === 'signedBy') gpg.set(requirement.at, await gpgKeys(policy.file, requirement.keys));
    if (requirement.type === 'sigstoreSigned') sigstore.set(requirement.at, await sigstoreKeys(policy.file, requirement.keys));
  }
  return { gpg, sigstore };
}
