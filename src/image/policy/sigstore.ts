/**
 * @module image/policy/sigstore — cosign signatures attached to a registry, verified with
 * public keys (no Fulcio, no Rekor). cosign stores the signatures of manifest
 * `sha256:<hex>` as tag `sha256-<hex>.sig` of the same repository: an OCI manifest whose
 * layers are payload blobs (`application/vnd.dev.cosignproject.cosign/simplesigning.v1+json`)
 * each annotated `dev.cosignproject.cosign/signature` = base64 of the signature over the
 * blob's bytes (ECDSA P-256 with SHA-256 from `cosign generate-key-pair`; RSA and Ed25519
 * keys are verified too). The manifest and the blobs come through the registry client, so
 * both are digest-verified before they are read.
 */
import { verify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasErrorCode, verificationFailed } from '../../util/index.js';
import type { RegistryClient } from '../registry/client.js';
import type { Descriptor } from '../registry/descriptor.js';
import type { Digest } from '../registry/digest.js';
import { MAX_SIGNATURE_BYTES, MAX_SIGNATURES } from './lookaside.js';
import type { SigstorePolicyKey } from './policy-keys.js';

export const COSIGN_PAYLOAD_MEDIA_TYPE = 'application/vnd.dev.cosignproject.cosign/simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

/** One attached signature: the payload and the signature over it. */
export interface AttachedSignature {
  readonly payload: Buffer;
  /** Decoded from the annotation's base64. */
  readonly signature: Buffer;
  readonly source: string;
}

/** The tag cosign attaches the signatures of `digest` under: `sha256-<hex>.sig`. */
export function sigstoreTag(digest: Digest): string {
  return `${digest.replace(':', '-')}.sig`;
}

function invalid(source: string, problem: string): Error {
  return verificationFailed('ERR_POLICY_SIGNATURE_INVALID', `signature ${source} ${problem}`, {
    hint: 'the signature is damaged, or it was made over other content; ask the image publisher to sign again',
  });
}

async function readBlob(client: RegistryClient, repository: string, descriptor: Descriptor, dir: string, signal: AbortSignal | undefined): Promise<Buffer> {
  const dest = path.join(dir, descriptor.digest.replace(':', '-'));
  await client.fetchBlob(repository, { descriptor, dest }, signal === undefined ? {} : { signal });
  return readFile(dest);
}

/**
 * The signatures attached to `digest` in `repository` ([] when there is no `.sig` tag).
 * Errors: the registry client's (other than "unknown manifest"), ERR_POLICY_SIGNATURE_INVALID.
 */
export async function readAttachedSignatures(client: RegistryClient, repository: string, digest: Digest, signal?: AbortSignal): Promise<AttachedSignature[]> {
  const tag = sigstoreTag(digest);
  const where = `${client.registry}/${repository}:${tag}`;
  let fetched;
  try {
    fetched = await client.getManifest(repository, tag, signal);
  } catch (error) {
    if (hasErrorCode(error, 'ERR_REGISTRY_MANIFEST_UNKNOWN') || hasErrorCode(error, 'ERR_REGISTRY_NAME_UNKNOWN')) return [];
    throw error;
  }
  if (fetched.manifest.kind !== 'image') throw invalid(where, 'is an index, not a cosign signature manifest');
  const layers = fetched.manifest.layers.filter((layer) => layer.mediaType === COSIGN_PAYLOAD_MEDIA_TYPE).slice(0, MAX_SIGNATURES);
  const dir = await mkdtemp(path.join(tmpdir(), 'rocklet-sigstore-'));
  try {
    const signatures: AttachedSignature[] = [];
    for (const [index, layer] of layers.entries()) {
      const source = `${where} layers[${index}]`;
      const encoded = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
      if (encoded === undefined) throw invalid(source, `has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
      if (layer.size > MAX_SIGNATURE_BYTES) throw invalid(source, `is ${layer.size} bytes, larger than a signature payload can be`);
      signatures.push({ payload: await readBlob(client, repository, layer, dir, signal), signature: Buffer.from(encoded, 'base64'), source });
    }
    return signatures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function verifiesWith(key: SigstorePolicyKey, signature: AttachedSignature): boolean {
  const algorithm = key.key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  try {
    return verify(algorithm, signature.payload, key.key, signature.signature);
  } catch {
    return false; // a malformed DER signature is a signature that does not verify
  }
}

/**
 * The key among `keys` whose signature over the payload verifies. Throws
 * ERR_POLICY_SIGNATURE_UNKNOWN_KEY when none does (a tampered payload looks the same: no
 * trusted key signed these bytes).
 */
export function verifyAttachedSignature(signature: AttachedSignature, keys: readonly SigstorePolicyKey[]): SigstorePolicyKey {
  const signer = keys.find((key) => verifiesWith(key, signature));
  if (signer === undefined) {
    throw verificationFailed('ERR_POLICY_SIGNATURE_UNKNOWN_KEY', `signature ${signature.source} does not verify with any key the policy accepts (${keys.map((k) => k.source).join(', ')}): it was made with another key, or the payload was changed after signing`, {
      hint: 'if the publisher changed keys, add the new one: rocklet trust --type=sigstoreSigned --scope=SCOPE --pubkeys=cosign.pub',
    });
  }
  return signer;
}
