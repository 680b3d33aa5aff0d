/**
 * @module image/policy/simple-signing — verifies one "simple signing" signature (the format
 * `skopeo copy --sign-by` and `podman push --sign-by` write): an OpenPGP signed message (not a
 * detached signature) whose content is the JSON payload of payload.ts. Returns the payload
 * bytes and the signer only when exactly one signature packet verifies with one of `keys`.
 * Errors (category verification): ERR_POLICY_SIGNATURE_INVALID (not an OpenPGP signed
 * message, several signatures, a bad signature), ERR_POLICY_SIGNATURE_UNKNOWN_KEY.
 */
import type { Message } from 'openpgp';
import { verificationFailed } from '../../util/index.js';
import { loadOpenpgp } from '../trust/openpgp-lib.js';
import type { GpgPolicyKey } from './policy-keys.js';

/** A signature whose OpenPGP layer verified. */
export interface VerifiedGpgSignature {
  readonly payload: Buffer;
  /** The primary-key fingerprint (lowercase hex) of the key that signed. */
  readonly keyFingerprint: string;
}

function invalid(source: string, problem: string, cause?: unknown): Error {
  return verificationFailed('ERR_POLICY_SIGNATURE_INVALID', `signature ${source} ${problem}`, {
    hint: 'the signature is damaged, or it was made over other content; ask the image publisher to sign again',
    ...(cause === undefined ? {} : { cause }),
  });
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Verifies `bytes` (binary or armored) with `keys`; `source` names the signature in messages. */
export async function verifyGpgSignature(bytes: Buffer, keys: readonly GpgPolicyKey[], source: string): Promise<VerifiedGpgSignature> {
  const openpgp = await loadOpenpgp();
  let message: Message<Uint8Array>;
  try {
    message = bytes.subarray(0, 20).toString('latin1').startsWith('-----BEGIN PGP')
      ? await openpgp.readMessage({ armoredMessage: bytes.toString('utf8') })
      : await openpgp.readMessage({ binaryMessage: new Uint8Array(bytes) });
  } catch (error) {
    throw invalid(source, `is not an OpenPGP signed message: ${reasonOf(error)}`, error);
  }
  const signerIds = message.getSigningKeyIDs().map((id) => id.toHex().toLowerCase());
  if (signerIds.length === 0) throw invalid(source, 'holds no signature');
  if (signerIds.length > 1) throw invalid(source, `holds ${signerIds.length} signatures; a simple-signing signature has exactly one`);
  const signerId = signerIds[0] ?? '';
  const signer = keys.find((key) => key.keyIds.includes(signerId));
  if (signer === undefined) {
    throw verificationFailed('ERR_POLICY_SIGNATURE_UNKNOWN_KEY', `signature ${source} was made by key ${signerId}, which is not one of the keys the policy accepts (${keys.map((k) => k.fingerprint).join(', ')})`, {
      hint: 'if the publisher changed keys, add the new one: rocklet trust --type=signedBy --scope=SCOPE --pubkeys=KEY-FILE',
    });
  }
  let result: Awaited<ReturnType<typeof openpgp.verify<Uint8Array>>>;
  try {
    result = await openpgp.verify({ message, verificationKeys: [signer.key], format: 'binary' });
    for (const entry of result.signatures) await entry.verified;
  } catch (error) {
    throw invalid(source, `does not verify with key ${signer.fingerprint}: ${reasonOf(error)}`, error);
  }
  // openpgp types `data` through a package it does not ship (@openpgp/web-stream-tools); unstreamed, it is bytes.
  const data: unknown = result.data;
  if (!(data instanceof Uint8Array)) throw invalid(source, 'holds no binary content');
  return { payload: Buffer.from(data), keyFingerprint: signer.fingerprint };
}
