/**
 * @module image/trust/verify — checks an image's detached OpenPGP signature against the keys
 * trusted for its name (rkt.md §4.2), before the image enters the store.
 *
 * The image file is streamed through openpgp (a web ReadableStream over the file, `data`
 * drained as it comes), so memory stays flat whatever the image size; the signature covers the
 * file's bytes as downloaded (compressed form). Which error a caller gets, most specific first:
 * unparsable signature → ERR_SIGNATURE_INVALID; signer trusted only for other prefixes →
 * ERR_SIGNATURE_KEY_WRONG_PREFIX; no key at all for the name → ERR_TRUST_NO_KEYS; signer
 * unknown → ERR_SIGNATURE_UNKNOWN_KEY; image bytes do not match → ERR_SIGNATURE_BAD.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { Key, Signature } from 'openpgp';
import { errnoCode, notFound, verificationFailed } from '../../util/index.js';
import type { ACIdentifier } from '../format/aci/ac-types.js';
import type { Keystore, TrustedKey } from './keystore.js';
import { checkImageName, openKeystore } from './keystore.js';
import { loadOpenpgp } from './openpgp-lib.js';
import type { OpenPgp } from './openpgp-lib.js';
import type { PublicKeyInfo } from './public-key.js';
import { readKeyObjects } from './public-key.js';
import { scopeName } from './trust-scope.js';

/** What to verify: an image file as downloaded and its detached armored signature. */
export interface SignatureCheck {
  /** The appc image name (e.g. example.com/app) whose prefixes select keys. */
  readonly imageName: string;
  /** The file as downloaded (the bytes that were signed). */
  readonly imagePath: string;
  /** Detached armored signature (.asc). */
  readonly armoredSignature: string;
  /** Where the signature came from, for messages (path or URL). */
  readonly signatureSource: string;
}

/** The key that made a good signature, and what it is trusted for. */
export interface VerifiedSignature {
  /** Lowercase hex fingerprint of the signer's primary key. */
  readonly fingerprint: string;
  readonly identities: readonly string[];
  /** `root` or the prefix the key is trusted for (the most specific one when several). */
  readonly trustedFor: string;
}

/** Options of {@link verifyImageSignature}. */
export interface VerifySignatureOptions {
  readonly signal?: AbortSignal;
}

/** Who a signature says signed it: 16-hex key IDs, and fingerprints when the packets carry them. */
interface Issuers {
  readonly keyIds: readonly string[];
  /** For messages: the issuer fingerprint when known, else the key ID. */
  readonly label: string;
}

const READ_CHUNK_BYTES = 1024 * 1024;

async function readSignature(openpgp: OpenPgp, check: SignatureCheck): Promise<{ signature: Signature; issuers: Issuers }> {
  if (check.armoredSignature.trim() === '') {
    throw verificationFailed('ERR_SIGNATURE_INVALID', `signature "${check.signatureSource}" is empty`);
  }
  let signature: Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: check.armoredSignature });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw verificationFailed('ERR_SIGNATURE_INVALID', `signature "${check.signatureSource}" is not a valid armored OpenPGP signature: ${reason}`, {
      hint: 'the signature must be a detached ASCII-armored signature, as made by: gpg --armor --detach-sign IMAGE.aci',
      cause: error,
    });
  }
  const dataTypes: readonly unknown[] = [openpgp.enums.signature.binary, openpgp.enums.signature.text];
  const packets = [...signature.packets].filter((packet) => dataTypes.includes(packet.signatureType));
  if (packets.length === 0) {
    throw verificationFailed('ERR_SIGNATURE_INVALID', `signature "${check.signatureSource}" holds no signature over data (is it a key signature?)`);
  }
  const keyIds = packets.map((packet) => packet.issuerKeyID.toHex().toLowerCase());
  const fingerprints = packets.flatMap((packet) => (packet.issuerFingerprint === null ? [] : [Buffer.from(packet.issuerFingerprint).toString('hex')]));
  return { signature, issuers: { keyIds, label: fingerprints[0] ?? keyIds[0] ?? 'unknown' } };
}

function signedBy(key: PublicKeyInfo, issuers: Issuers): boolean {
  return key.keyIds.some((id) => issuers.keyIds.includes(id));
}

function describeSigner(key: PublicKeyInfo): string {
  return key.identities.length === 0 ? `key ${key.fingerprint}` : `key ${key.fingerprint} (${key.identities.join(', ')})`;
}

async function untrustedSignerError(keystore: Keystore, name: ACIdentifier, trusted: readonly TrustedKey[], issuers: Issuers, check: SignatureCheck): Promise<Error> {
  const elsewhere = (await keystore.list()).filter((t) => signedBy(t.key, issuers) && !trusted.some((k) => k.path === t.path));
  const [first] = elsewhere;
  if (first !== undefined) {
    const prefixes = [...new Set(elsewhere.map((t) => `"${scopeName(t.scope)}"`))];
    return verificationFailed(
      'ERR_SIGNATURE_KEY_WRONG_PREFIX',
      `image "${name}" is signed by ${describeSigner(first.key)}, which is trusted only for prefix${prefixes.length > 1 ? 'es' : ''} ${prefixes.join(', ')}, not for "${name}"`,
      { hint: `if that key may sign "${name}" too, run: rocklet trust --prefix=${name} ${first.path}` },
    );
  }
  if (trusted.length === 0) {
    return verificationFailed('ERR_TRUST_NO_KEYS', `no keys are trusted for image "${name}" (neither for a prefix of its name nor as root keys)`, {
      hint: `trust the publisher's key with: rocklet trust --prefix=${name} (discovers it), or rocklet trust --prefix=${name} KEY-FILE`,
    });
  }
  return verificationFailed(
    'ERR_SIGNATURE_UNKNOWN_KEY',
    `signature "${check.signatureSource}" of image "${name}" was made by unknown key ${issuers.label}, which is not trusted for "${name}"`,
    { hint: `if you expected the signing key to change, try running: rocklet trust --prefix=${name}` },
  );
}

async function openImage(imagePath: string): Promise<FileHandle> {
  try {
    return await open(imagePath, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound('ERR_IMAGE_FILE_NOT_FOUND', `image file "${imagePath}" does not exist`, { cause: error });
    throw error;
  }
}

/** Reads `data` to its end and drops it; an abort surfaces as the signal's reason. */
async function drain(data: ReadableStream<Uint8Array>, signal: AbortSignal | undefined): Promise<void> {
  const reader = data.getReader();
  try {
    let chunk = await reader.read();
    while (!chunk.done) chunk = await reader.read();
  } catch (error) {
    // The file stream reports an abort as its own AbortError; callers expect the signal's reason.
    if (signal?.aborted === true) throw signal.reason;
    throw error;
  }
  // An abort that lands as the file ends must not turn into a verdict on partial data.
  signal?.throwIfAborted();
}

/** Streams the image through openpgp; resolves to the key ID that made a good signature. */
async function verifyStream(openpgp: OpenPgp, signature: Signature, keys: Key[], check: SignatureCheck, signal: AbortSignal | undefined): Promise<string> {
  const handle = await openImage(check.imagePath);
  const fileStream = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES, ...(signal === undefined ? {} : { signal }) });
  let result: Awaited<ReturnType<typeof openpgp.verify>>;
  try {
    const message = await openpgp.createMessage({ binary: Readable.toWeb(fileStream) as ReadableStream<Uint8Array> });
    result = await openpgp.verify({ message, signature, verificationKeys: keys, format: 'binary' });
    // The digest is computed while `data` is read: not reading it would stall verification, and
    // buffering it would make memory grow with the image. openpgp's stream types come from a
    // package it does not ship (@openpgp/web-stream-tools), hence the cast.
    const data: unknown = result.data;
    await drain(data as ReadableStream<Uint8Array>, signal);
  } finally {
    // Closes the file on every path (a no-op once the stream has ended).
    fileStream.destroy();
  }
  const failures: unknown[] = [];
  for (const entry of result.signatures) {
    try {
      await entry.verified;
      return entry.keyID.toHex().toLowerCase();
    } catch (error) {
      failures.push(error);
    }
  }
  throw badSignature(check, failures[0]);
}

function badSignature(check: SignatureCheck, failure: unknown): Error {
  const reason = failure instanceof Error ? failure.message : String(failure);
  const hint = 'do not use this image; fetch it again from a source you trust, or ask its publisher';
  if (/digest did not match|verification failed/i.test(reason)) {
    return verificationFailed(
      'ERR_SIGNATURE_BAD',
      `image "${check.imagePath}" does not match its signature "${check.signatureSource}": the image was modified after signing, or the signature is for another file`,
      { hint, cause: failure },
    );
  }
  return verificationFailed('ERR_SIGNATURE_BAD', `signature "${check.signatureSource}" of image "${check.imagePath}" is not valid: ${reason}`, { hint, cause: failure });
}

/**
 * Verifies `check.armoredSignature` over the file `check.imagePath` with the keys trusted for
 * `check.imageName` in the keystore of `configDir` (root keys and keys of every prefix of the
 * name on `/` boundaries). Reads the image once, streaming. Returns the signer and what it is
 * trusted for. Throws (category verification): ERR_SIGNATURE_INVALID, ERR_SIGNATURE_KEY_WRONG_PREFIX,
 * ERR_TRUST_NO_KEYS, ERR_SIGNATURE_UNKNOWN_KEY, ERR_SIGNATURE_BAD (see the module header);
 * ERR_TRUST_IMAGE_NAME (invalid argument) for a name that is not an AC Identifier;
 * ERR_IMAGE_FILE_NOT_FOUND (not found); the abort reason when `signal` aborts.
 */
export async function verifyImageSignature(configDir: string, check: SignatureCheck, options: VerifySignatureOptions = {}): Promise<VerifiedSignature> {
  options.signal?.throwIfAborted();
  const name = checkImageName(check.imageName);
  const openpgp = await loadOpenpgp();
  const { signature, issuers } = await readSignature(openpgp, check);
  const keystore = openKeystore(configDir);
  const trusted = await keystore.keysFor(name);
  const signers = trusted.filter((t) => signedBy(t.key, issuers));
  if (signers.length === 0) throw await untrustedSignerError(keystore, name, trusted, issuers, check);
  const keys = (await Promise.all(signers.map((s) => readKeyObjects(openpgp, s.key.armored, s.path)))).flat();
  const keyId = await verifyStream(openpgp, signature, keys, check, options.signal);
  // keysFor lists the most specific prefix first, so `find` picks the narrowest trust.
  const signer = signers.find((s) => s.key.keyIds.includes(keyId)) ?? signers[0];
  if (signer === undefined) throw new Error(`verified key ${keyId} is not among the trusted signers`);
  return { fingerprint: signer.key.fingerprint, identities: signer.key.identities, trustedFor: scopeName(signer.scope) };
}
