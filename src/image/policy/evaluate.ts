/**
 * @module image/policy/evaluate — decides whether an image may be used, as containers/image
 * does: the requirements of the most specific scope that the policy names for the image (else
 * the transport's `""` scope, else `default`) must all be satisfied; a signing requirement is
 * satisfied by any one signature that verifies with one of its keys, names the pulled
 * manifest's digest and claims an identity its `signedIdentity` rule accepts.
 *
 * Accepted: a {@link PolicyAcceptance} saying which scope applied and what was verified.
 * Refused (category verification, exit 254): ERR_POLICY_REJECTED (a `reject` requirement),
 * ERR_POLICY_SIGNATURE_MISSING (no signature to check, or nowhere to look), and per signature
 * ERR_POLICY_SIGNATURE_INVALID, _UNKNOWN_KEY, _DIGEST, _IDENTITY (with several signatures the
 * most telling failure is thrown, the others listed in its message).
 */
import { isRockletError, verificationFailed } from '../../util/index.js';
import type { DockerReference } from '../format/oci/docker-reference.js';
import type { HttpContext } from '../fetch/http-client.js';
import type { RegistryClient } from '../registry/client.js';
import type { Digest } from '../registry/digest.js';
import { digestAlgorithm, digestOf, parseDigest } from '../registry/digest.js';
import { describeExpectation, identityMatches } from './identity.js';
import type { StoredSignature } from './lookaside.js';
import { lookasideUrl, readLookasideSignatures } from './lookaside.js';
import type { SignaturePayload } from './payload.js';
import { COSIGN_SIGNATURE_TYPE, digestMatches, parseSignaturePayload, SIMPLE_SIGNING_TYPE } from './payload.js';
import type { PolicyKeys } from './policy-keys.js';
import type { Policy, PullTransport, Requirement, ScopeRequirements } from './policy-types.js';
import type { RegistriesConfig } from './registries-d.js';
import { storageFor } from './registries-d.js';
import { dockerScopesOf, policyIdentity } from './scope.js';
import { readAttachedSignatures, verifyAttachedSignature } from './sigstore.js';
import { verifyGpgSignature } from './simple-signing.js';

/** An image pulled from a registry. */
export interface DockerPolicyCheck {
  readonly transport: 'docker';
  readonly reference: DockerReference;
  /** The digest of the manifest the reference resolved to (the index, for a multi-platform image). */
  readonly manifestDigest: string;
  /** Its exact bytes, when at hand (checked against the digest; needed for signatures made with another algorithm). */
  readonly manifestBytes?: Buffer;
  /** A client for the reference's registry: sigstoreSigned requirements read attachments through it. */
  readonly client?: RegistryClient;
  readonly signal?: AbortSignal;
}

/** An image from a local archive: `reference` is its absolute path, optionally `:tag`. */
export interface LocalPolicyCheck {
  readonly transport: Exclude<PullTransport, 'docker'>;
  readonly reference: string;
  readonly manifestDigest: string;
  readonly manifestBytes?: Buffer;
  readonly signal?: AbortSignal;
}

export type PolicyCheck = DockerPolicyCheck | LocalPolicyCheck;

/** What one satisfied requirement verified. */
export type VerifiedRequirement =
  | { readonly kind: 'insecureAcceptAnything' }
  | { readonly kind: 'signedBy' | 'sigstoreSigned'; readonly keyFingerprint: string; readonly identity: string; readonly signature: string; readonly timestamp?: number };

/** The policy's verdict on an accepted image. */
export interface PolicyAcceptance {
  readonly file: string;
  /** The scope whose requirements applied (`''`: the transport's default; see `at`). */
  readonly scope: string;
  /** Its JSON path, e.g. `transports.docker["quay.io"]` or `default`. */
  readonly at: string;
  readonly verified: readonly VerifiedRequirement[];
}

/** A policy with everything evaluation needs read up front. */
export interface LoadedPolicy {
  readonly policy: Policy;
  readonly keys: PolicyKeys;
  readonly registries: RegistriesConfig;
  /** For http(s) lookasides. */
  readonly http: HttpContext;
}

/** Local scopes: `path:ref`, `path`, then each parent directory. */
function localScopesOf(reference: string): string[] {
  const colon = reference.indexOf(':');
  const scopes = [reference];
  let dir = colon === -1 ? reference : reference.slice(0, colon);
  if (colon !== -1) scopes.push(dir);
  while (dir.lastIndexOf('/') > 0) {
    dir = dir.slice(0, dir.lastIndexOf('/'));
    scopes.push(dir);
  }
  scopes.push('/');
  return scopes;
}

function describeImage(check: PolicyCheck): string {
  return check.transport === 'docker' ? policyIdentity(check.reference) : `${check.transport}:${check.reference}`;
}

/** The requirements that apply to `check`'s image. */
export function requirementsFor(policy: Policy, check: PolicyCheck): ScopeRequirements {
  const scopes = policy.transports.get(check.transport) ?? [];
  const candidates = check.transport === 'docker' ? dockerScopesOf(check.reference) : localScopesOf(check.reference);
  for (const candidate of [...candidates, '']) {
    const found = scopes.find((entry) => entry.scope === candidate);
    if (found !== undefined) return found;
  }
  return policy.default;
}

function rejected(file: string, applied: ScopeRequirements, requirement: Requirement, check: PolicyCheck): Error {
  const image = describeImage(check);
  const scope = check.transport === 'docker' ? check.reference.domain : 'PATH';
  const transport = check.transport === 'docker' ? '' : ` --transport=${check.transport}`;
  if (applied.at !== 'default') {
    return verificationFailed('ERR_POLICY_REJECTED', `image ${image} is refused by the signature policy: ${file}: ${requirement.at} rejects it`, {
      hint: `that scope is rejected on purpose; to change it: rocklet trust${transport} --type=… --scope=${applied.scope === '' ? 'SCOPE' : applied.scope}`,
    });
  }
  return verificationFailed('ERR_POLICY_REJECTED', `image ${image} is refused by the signature policy: no scope of ${file} names it, and "default" rejects it`, {
    hint: `to require signatures: rocklet trust${transport} --type=signedBy (or sigstoreSigned) --scope=${scope} --pubkeys=KEY; to accept it unsigned: rocklet trust${transport} --type=accept --scope=${scope}`,
  });
}

function missing(image: string, why: string, hint: string): Error {
  return verificationFailed('ERR_POLICY_SIGNATURE_MISSING', `image ${image} needs a signature, but ${why}`, { hint });
}

const FAILURE_RANK: Readonly<Record<string, number>> = {
  ERR_POLICY_SIGNATURE_IDENTITY: 4, ERR_POLICY_SIGNATURE_DIGEST: 3, ERR_POLICY_SIGNATURE_UNKNOWN_KEY: 2, ERR_POLICY_SIGNATURE_INVALID: 1,
};

/** The most telling of the failures of several signatures, naming the others. */
function bestFailure(failures: readonly Error[]): Error {
  const ranked = [...failures].sort((a, b) => (FAILURE_RANK[isRockletError(b) ? b.code : ''] ?? 0) - (FAILURE_RANK[isRockletError(a) ? a.code : ''] ?? 0));
  const [best, ...others] = ranked;
  if (best === undefined) throw new Error('bestFailure: no failures');
  if (others.length === 0 || !isRockletError(best)) return best;
  const rest = others.map((error) => error.message).join('; ');
  return verificationFailed(best.code, `${best.message} (${others.length} other signature${others.length === 1 ? '' : 's'} failed too: ${rest})`, { hint: best.hint, cause: best });
}

/** Digest and identity checks of a payload whose signature verified. */
function checkPayload(payload: SignaturePayload, requirement: Requirement & { type: 'signedBy' | 'sigstoreSigned' }, check: DockerPolicyCheck, digest: Digest, source: string, keyFingerprint: string): void {
  const image = policyIdentity(check.reference);
  if (!digestMatches(payload.manifestDigest, digest, check.manifestBytes)) {
    throw verificationFailed('ERR_POLICY_SIGNATURE_DIGEST', `signature ${source} (key ${keyFingerprint}) is for manifest ${payload.manifestDigest}, not for ${digest} of ${image}`, {
      hint: 'the registry serves another image than the one that was signed, or the signature belongs to another image',
    });
  }
  if (!identityMatches(requirement.signedIdentity, check.reference, payload.reference)) {
    throw verificationFailed('ERR_POLICY_SIGNATURE_IDENTITY', `signature ${source} (key ${keyFingerprint}) names ${payload.dockerReference}, but ${requirement.at} accepts for ${image} only signatures naming ${describeExpectation(requirement.signedIdentity, check.reference)}`, {
      hint: 'the signature was made for another image name; if that is expected (a mirror, a renamed repository), set "signedIdentity" (matchRepository, exactRepository, remapIdentity) in policy.json',
    });
  }
}

async function signedBy(loaded: LoadedPolicy, requirement: Requirement & { type: 'signedBy' }, check: DockerPolicyCheck, digest: Digest): Promise<VerifiedRequirement> {
  const image = policyIdentity(check.reference);
  const { lookaside } = storageFor(loaded.registries, check.reference);
  if (lookaside === undefined) {
    throw missing(image, `no lookaside is configured for it in ${loaded.registries.dir}, so there is nowhere to read its signatures from`, `configure one: rocklet trust --lookaside=URL --scope=${check.reference.domain}`);
  }
  const http = check.signal === undefined ? loaded.http : { ...loaded.http, signal: check.signal };
  const signatures: StoredSignature[] = await readLookasideSignatures(lookaside.url, check.reference.path, digest, http);
  if (signatures.length === 0) {
    throw missing(image, `there is no signature of ${digest} at ${lookasideUrl(lookaside.url, check.reference.path, digest, 1).href} (lookaside from ${lookaside.origin})`, 'sign the image (skopeo copy --sign-by FINGERPRINT …) with a registries.d lookaside-staging that publishes to this lookaside');
  }
  const keys = loaded.keys.gpg.get(requirement.at) ?? [];
  const failures: Error[] = [];
  for (const signature of signatures) {
    try {
      const verified = await verifyGpgSignature(signature.bytes, keys, signature.source);
      const payload = parseSignaturePayload(verified.payload, SIMPLE_SIGNING_TYPE, signature.source);
      checkPayload(payload, requirement, check, digest, signature.source, verified.keyFingerprint);
      return {
        kind: 'signedBy', keyFingerprint: verified.keyFingerprint, identity: payload.dockerReference, signature: signature.source,
        ...(payload.timestamp === undefined ? {} : { timestamp: payload.timestamp }),
      };
    } catch (error) {
      if (!isRockletError(error) || FAILURE_RANK[error.code] === undefined) throw error;
      failures.push(error);
    }
  }
  throw bestFailure(failures);
}

async function sigstoreSigned(loaded: LoadedPolicy, requirement: Requirement & { type: 'sigstoreSigned' }, check: DockerPolicyCheck, digest: Digest): Promise<VerifiedRequirement> {
  const image = policyIdentity(check.reference);
  const { useSigstoreAttachments } = storageFor(loaded.registries, check.reference);
  if (useSigstoreAttachments?.value === false) {
    throw missing(image, `${useSigstoreAttachments.origin} sets use-sigstore-attachments: false, so its sigstore signatures are not read`, 'remove that setting or set it to true');
  }
  if (check.client === undefined) throw new Error(`sigstoreSigned (${requirement.at}): the caller passed no registry client for ${image}`);
  const signatures = await readAttachedSignatures(check.client, check.reference.path, digest, check.signal);
  if (signatures.length === 0) {
    throw missing(image, `the registry has no sigstore signature of ${digest} (no tag ${check.reference.domain}/${check.reference.path}:${digest.replace(':', '-')}.sig)`, 'sign it with: cosign sign --key cosign.key IMAGE@DIGEST');
  }
  const keys = loaded.keys.sigstore.get(requirement.at) ?? [];
  const failures: Error[] = [];
  for (const signature of signatures) {
    try {
      const signer = verifyAttachedSignature(signature, keys);
      const payload = parseSignaturePayload(signature.payload, COSIGN_SIGNATURE_TYPE, signature.source);
      checkPayload(payload, requirement, check, digest, signature.source, signer.fingerprint);
      return { kind: 'sigstoreSigned', keyFingerprint: signer.fingerprint, identity: payload.dockerReference, signature: signature.source };
    } catch (error) {
      if (!isRockletError(error) || FAILURE_RANK[error.code] === undefined) throw error;
      failures.push(error);
    }
  }
  throw bestFailure(failures);
}

function checkedDigest(check: PolicyCheck): Digest {
  const digest = parseDigest(check.manifestDigest, 'the manifest digest');
  if (check.manifestBytes !== undefined && digestOf(check.manifestBytes, digestAlgorithm(digest)) !== digest) {
    throw new Error(`policy check of ${describeImage(check)}: the manifest bytes do not hash to ${digest}`);
  }
  return digest;
}

async function evaluateRequirement(loaded: LoadedPolicy, applied: ScopeRequirements, requirement: Requirement, check: PolicyCheck, digest: Digest): Promise<VerifiedRequirement> {
  const image = describeImage(check);
  switch (requirement.type) {
    case 'insecureAcceptAnything':
      return { kind: 'insecureAcceptAnything' };
    case 'reject':
      throw rejected(loaded.policy.file, applied, requirement, check);
    case 'signedBy':
    case 'sigstoreSigned':
      if (check.transport !== 'docker') {
        throw missing(image, `${check.transport} images carry no signatures (${loaded.policy.file}: ${requirement.at} requires one)`, `accept local images of this kind with: rocklet trust --transport=${check.transport} --type=accept --scope=PATH`);
      }
      return requirement.type === 'signedBy' ? signedBy(loaded, requirement, check, digest) : sigstoreSigned(loaded, requirement, check, digest);
  }
}

/**
 * Throws the refusal of a `reject` requirement of `check`'s scope, which no signature can lift
 * (for a check before the registry is contacted); returns otherwise.
 */
export function checkWithoutSignatures(loaded: LoadedPolicy, check: PolicyCheck): void {
  const applied = requirementsFor(loaded.policy, check);
  const reject = applied.requirements.find((requirement) => requirement.type === 'reject');
  if (reject !== undefined) throw rejected(loaded.policy.file, applied, reject, check);
}

/**
 * Evaluates the policy for one image. Resolves with what was verified when every requirement
 * of the applicable scope is satisfied; throws the first requirement's refusal otherwise
 * (codes in the module header), or the errors of reading signatures (ERR_POLICY_LOOKASIDE,
 * the registry client's) and the signal's reason.
 */
export async function evaluatePolicy(loaded: LoadedPolicy, check: PolicyCheck): Promise<PolicyAcceptance> {
  check.signal?.throwIfAborted();
  const digest = checkedDigest(check);
  const applied = requirementsFor(loaded.policy, check);
  const verified: VerifiedRequirement[] = [];
  for (const requirement of applied.requirements) verified.push(await evaluateRequirement(loaded, applied, requirement, check, digest));
  return { file: loaded.policy.file, scope: applied.scope, at: applied.at, verified };
}
