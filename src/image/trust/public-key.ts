/**
 * @module image/trust/public-key — OpenPGP public keys as rocklet sees them: parsed once from
 * armored or binary input into {@link PublicKeyInfo} (fingerprint, identities, key IDs, whether
 * the key can be trusted now), with a lowercase-hex fingerprint brand that names keystore files.
 *
 * A file may hold several keys, in one armor block or in several concatenated ones; each is
 * returned. Secret keys are reduced to their public part, so secret material is never stored.
 */
import type { Key } from 'openpgp';
import { invalidArgument } from '../../util/index.js';
import { loadOpenpgp } from './openpgp-lib.js';
import type { OpenPgp } from './openpgp-lib.js';

declare const fingerprintBrand: unique symbol;
/** A primary or subkey fingerprint: 40 (v4) or 64 (v5/v6) lowercase hex digits. */
export type KeyFingerprint = string & { readonly [fingerprintBrand]: true };

const FINGERPRINT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for a lowercase-hex fingerprint, the form keystore file names use. */
export function isKeyFingerprint(value: string): value is KeyFingerprint {
  return FINGERPRINT.test(value);
}

/** gpg's display form: upper case, groups of four digits (`3254 0589 DBC9 …`), as rkt prints it. */
export function formatFingerprint(fingerprint: KeyFingerprint): string {
  return (fingerprint.toUpperCase().match(/.{1,4}/g) ?? []).join(' ');
}

/** Whether a key can be trusted now; anything but `usable` is refused by `trust`. */
export const KEY_STATUSES = ['usable', 'revoked', 'expired', 'invalid', 'cannot-sign'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** One OpenPGP public key, parsed. */
export interface PublicKeyInfo {
  readonly fingerprint: KeyFingerprint;
  /** 16-hex key IDs of the primary key and every subkey (signatures name their issuer by key ID). */
  readonly keyIds: readonly string[];
  readonly subkeyFingerprints: readonly KeyFingerprint[];
  /** User IDs, e.g. `Example Signer <signer@example.com>`. */
  readonly identities: readonly string[];
  /** e.g. `ed25519Legacy`, `rsaEncryptSign 2048`. */
  readonly algorithm: string;
  readonly createdAt: Date;
  /** Undefined when the key never expires. */
  readonly expiresAt: Date | undefined;
  readonly status: KeyStatus;
  /** Why the key is not usable (openpgp's reason), when it is not. */
  readonly problem: string | undefined;
  /** The public key alone, ASCII-armored: what the keystore stores. */
  readonly armored: string;
}

const ARMOR_BLOCK = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g;
const OTHER_ARMOR = /-----BEGIN PGP ([A-Z ]+)-----/;

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^Error (?:reading|verifying)[^:]*: /, '');
}

/** The openpgp key objects in `data` (armored text or binary). Throws ERR_TRUST_KEY_INVALID. */
export async function readKeyObjects(openpgp: OpenPgp, data: string | Uint8Array, source: string): Promise<Key[]> {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  const blocks = text.match(ARMOR_BLOCK) ?? [];
  try {
    if (blocks.length > 0) {
      const lists = await Promise.all(blocks.map((armoredKeys) => openpgp.readKeys({ armoredKeys })));
      return lists.flat();
    }
    const other = OTHER_ARMOR.exec(text);
    if (other !== null) throw new Error(`it holds a PGP ${(other[1] ?? '').toLowerCase()}, not a key block`);
    // Binary OpenPGP starts with a packet tag, whose high bit is always set; text never does.
    if (typeof data === 'string' || ((data[0] ?? 0) & 0x80) === 0) throw new Error('no OpenPGP key block found');
    return await openpgp.readKeys({ binaryKeys: data });
  } catch (error) {
    throw invalidArgument('ERR_TRUST_KEY_INVALID', `"${source}" is not an OpenPGP public key: ${reasonOf(error)}`, {
      hint: 'export the key with: gpg --armor --export KEYID > key.asc',
      cause: error,
    });
  }
}

async function statusOf(key: Key, now: Date): Promise<{ status: KeyStatus; problem: string | undefined }> {
  if (await key.isRevoked(undefined, undefined, now)) return { status: 'revoked', problem: 'the key is revoked' };
  try {
    await key.verifyPrimaryKey(now);
  } catch (error) {
    const expiry = await key.getExpirationTime().catch(() => null);
    if (expiry instanceof Date && expiry.getTime() <= now.getTime()) {
      return { status: 'expired', problem: `the key expired on ${expiry.toISOString()}` };
    }
    return { status: 'invalid', problem: reasonOf(error) };
  }
  try {
    await key.getSigningKey(undefined, now);
  } catch (error) {
    return { status: 'cannot-sign', problem: `the key has no valid signing key: ${reasonOf(error)}` };
  }
  return { status: 'usable', problem: undefined };
}

function algorithmOf(key: Key): string {
  const info = key.getAlgorithmInfo();
  if (info.curve !== undefined) return String(info.curve);
  return info.bits === undefined ? String(info.algorithm) : `${info.algorithm} ${info.bits}`;
}

/** Describes one openpgp key (its status as of `now`). */
export async function describeKey(key: Key, now: Date = new Date()): Promise<PublicKeyInfo> {
  const publicKey = key.isPrivate() ? key.toPublic() : key;
  const expiry = await publicKey.getExpirationTime().catch(() => null);
  return {
    fingerprint: publicKey.getFingerprint().toLowerCase() as KeyFingerprint,
    keyIds: publicKey.getKeyIDs().map((id) => id.toHex().toLowerCase()),
    subkeyFingerprints: publicKey.subkeys.map((subkey) => subkey.getFingerprint().toLowerCase() as KeyFingerprint),
    identities: publicKey.getUserIDs(),
    algorithm: algorithmOf(publicKey),
    createdAt: publicKey.getCreationTime(),
    expiresAt: expiry instanceof Date ? expiry : undefined,
    ...(await statusOf(publicKey, now)),
    armored: publicKey.armor(),
  };
}

/**
 * Parses every public key in `data` (armored, several armor blocks, or binary), without
 * duplicates. `source` names the input in messages. Throws ERR_TRUST_KEY_INVALID when the input
 * holds no key. Unusable keys (revoked, expired …) are returned with their status; see
 * {@link assertKeyUsable}.
 */
export async function parsePublicKeys(data: string | Uint8Array, source: string): Promise<PublicKeyInfo[]> {
  const openpgp = await loadOpenpgp();
  const keys = await readKeyObjects(openpgp, data, source);
  const seen = new Set<string>();
  const result: PublicKeyInfo[] = [];
  for (const key of keys) {
    const info = await describeKey(key);
    if (seen.has(info.fingerprint)) continue;
    seen.add(info.fingerprint);
    result.push(info);
  }
  return result;
}

/** Throws a clear error (ERR_TRUST_KEY_REVOKED, _EXPIRED, _INVALID, _CANNOT_SIGN) unless `key` is usable. */
export function assertKeyUsable(key: PublicKeyInfo, source: string): void {
  const what = `key ${key.fingerprint} from "${source}"`;
  const hint = 'ask the image publisher for a current key';
  switch (key.status) {
    case 'usable':
      return;
    case 'revoked':
      throw invalidArgument('ERR_TRUST_KEY_REVOKED', `${what} is revoked and cannot be trusted`, { hint });
    case 'expired':
      throw invalidArgument('ERR_TRUST_KEY_EXPIRED', `${what} has expired and cannot be trusted: ${key.problem ?? ''}`, { hint });
    case 'invalid':
      throw invalidArgument('ERR_TRUST_KEY_INVALID', `${what} is not valid: ${key.problem ?? ''}`, { hint });
    case 'cannot-sign':
      throw invalidArgument('ERR_TRUST_KEY_CANNOT_SIGN', `${what} cannot verify signatures: ${key.problem ?? ''}`, { hint });
  }
}
