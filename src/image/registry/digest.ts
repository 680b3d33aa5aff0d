/**
 * @module registry/digest — content digests (`sha256:<64 hex>`, `sha512:<128 hex>`) as the OCI
 * descriptor spec writes them. Only algorithms rocklet can compute are accepted: a digest we
 * cannot check is refused rather than trusted (formats.md §2.2).
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { invalidArgument } from '../../util/index.js';

declare const digestBrand: unique symbol;
/** A checked `algorithm:hex` digest; only {@link parseDigest} and {@link digestOf} make one. */
export type Digest = string & { readonly [digestBrand]: true };

export const DIGEST_ALGORITHMS = ['sha256', 'sha512'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

function isAlgorithm(value: string): value is DigestAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(value);
}

/** `where` says what held the value, for the message (e.g. `the manifest's layers[2].digest`). */
export function parseDigest(value: unknown, where: string): Digest {
  if (typeof value !== 'string') throw invalidArgument('ERR_REGISTRY_DIGEST_INVALID', `${where} must be a digest string`);
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (colon <= 0 || !isAlgorithm(algorithm)) {
    throw invalidArgument('ERR_REGISTRY_DIGEST_INVALID', `${where}: "${value}" is not a sha256 or sha512 digest`, {
      hint: 'rocklet verifies every manifest and blob, so it only accepts digests it can compute',
    });
  }
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    throw invalidArgument('ERR_REGISTRY_DIGEST_INVALID', `${where}: the ${algorithm} digest "${value}" must be ${HEX_LENGTH[algorithm]} lowercase hex characters`);
  }
  return value as Digest;
}

/** The algorithm part of a parsed digest. */
export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

/** A running hash that yields a digest of the same algorithm as `like` (sha256 by default). */
export function createDigester(algorithm: DigestAlgorithm = 'sha256'): { update(chunk: Buffer): void; digest(): Digest; readonly hash: Hash } {
  const hash = createHash(algorithm);
  return {
    hash,
    update: (chunk) => void hash.update(chunk),
    digest: () => `${algorithm}:${hash.digest('hex')}` as Digest,
  };
}

/** The digest of `bytes` (the exact bytes received, never re-serialised JSON). */
export function digestOf(bytes: Buffer, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
}
