/**
 * @module image/policy/payload — the JSON a signature signs, in both formats rocklet verifies:
 * simple signing ("atomic container signature", signed with OpenPGP) and cosign's
 * ("cosign container image signature", signed with a sigstore key). Both read
 *
 * ```json
 * {"critical": {"type": "…", "image": {"docker-manifest-digest": "sha256:…"},
 *               "identity": {"docker-reference": "registry.example.com/team/app:1"}},
 *  "optional": {"creator": "…", "timestamp": 1700000000}}
 * ```
 *
 * Parsed strictly, as containers/image does: `critical` and each of its objects have exactly
 * these keys; `optional` may hold anything (and may be null or missing). The payload is only
 * parsed after its signature verified; the digest and identity checks come after that.
 */
import type { DockerReference } from '../format/oci/docker-reference.js';
import { parseDockerReference } from '../format/oci/docker-reference.js';
import { verificationFailed } from '../../util/index.js';
import type { Digest } from '../registry/digest.js';
import { digestAlgorithm, digestOf, parseDigest } from '../registry/digest.js';
import type { JsonObject } from './json-path.js';
import { isJsonObject } from './json-path.js';

export const SIMPLE_SIGNING_TYPE = 'atomic container signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
export type PayloadType = typeof SIMPLE_SIGNING_TYPE | typeof COSIGN_SIGNATURE_TYPE;

/** What a verified payload claims. */
export interface SignaturePayload {
  readonly manifestDigest: Digest;
  /** `critical.identity.docker-reference` as signed. */
  readonly dockerReference: string;
  readonly reference: DockerReference;
  readonly creator: string | undefined;
  /** `optional.timestamp` (seconds since the epoch), when present. */
  readonly timestamp: number | undefined;
}

function invalidPayload(source: string, problem: string): Error {
  return verificationFailed('ERR_POLICY_SIGNATURE_INVALID', `signature ${source}: its payload is not a valid container signature: ${problem}`, {
    hint: 'the signature was not made by a container signing tool (skopeo, podman, cosign) or is damaged',
  });
}

function exactObject(source: string, value: unknown, where: string, keys: readonly string[]): JsonObject {
  if (!isJsonObject(value)) throw invalidPayload(source, `${where} must be an object`);
  for (const key of Object.keys(value)) if (!keys.includes(key)) throw invalidPayload(source, `${where}.${key} is not allowed`);
  for (const key of keys) if (value[key] === undefined) throw invalidPayload(source, `${where}.${key} is missing`);
  return value;
}

function stringField(source: string, object: JsonObject, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string') throw invalidPayload(source, `${where}.${key} must be a string`);
  return value;
}

/** Parses the payload `bytes` of type `type`; `source` names the signature in messages. */
export function parseSignaturePayload(bytes: Buffer, type: PayloadType, source: string): SignaturePayload {
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidPayload(source, 'not JSON');
  }
  if (!isJsonObject(document)) throw invalidPayload(source, 'not a JSON object');
  for (const key of Object.keys(document)) if (key !== 'critical' && key !== 'optional') throw invalidPayload(source, `${key} is not allowed`);
  const critical = exactObject(source, document.critical, 'critical', ['type', 'image', 'identity']);
  const signedType = stringField(source, critical, 'type', 'critical');
  if (signedType !== type) throw invalidPayload(source, `critical.type is "${signedType}", expected "${type}"`);
  const image = exactObject(source, critical.image, 'critical.image', ['docker-manifest-digest']);
  const identity = exactObject(source, critical.identity, 'critical.identity', ['docker-reference']);
  const digestText = stringField(source, image, 'docker-manifest-digest', 'critical.image');
  const dockerReference = stringField(source, identity, 'docker-reference', 'critical.identity');
  let manifestDigest: Digest;
  let reference: DockerReference;
  try {
    manifestDigest = parseDigest(digestText, 'critical.image.docker-manifest-digest');
    reference = parseDockerReference(dockerReference);
  } catch (error) {
    throw invalidPayload(source, error instanceof Error ? error.message : String(error));
  }
  const optional = document.optional;
  if (optional !== undefined && optional !== null && !isJsonObject(optional)) throw invalidPayload(source, 'optional must be an object');
  const creator = isJsonObject(optional) && typeof optional.creator === 'string' ? optional.creator : undefined;
  const timestamp = isJsonObject(optional) && typeof optional.timestamp === 'number' ? optional.timestamp : undefined;
  return { manifestDigest, dockerReference, reference, creator, timestamp };
}

/**
 * True when the signed digest names the pulled manifest: equal to `manifestDigest`, or, for
 * another algorithm, the hash of `manifestBytes` with it.
 */
export function digestMatches(signed: Digest, manifestDigest: Digest, manifestBytes: Buffer | undefined): boolean {
  if (signed === manifestDigest) return true;
  if (manifestBytes === undefined || digestAlgorithm(signed) === digestAlgorithm(manifestDigest)) return false;
  return digestOf(manifestBytes, digestAlgorithm(signed)) === signed;
}
