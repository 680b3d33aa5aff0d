/**
 * @module fetch/signature — find an image's detached signature and check it with the trust
 * module before the image may enter the store (rkt.md §4.2). A local image's signature is
 * `--signature FILE` or `<file>.asc`; a URL's is the URL + `.asc` (or the discovered
 * `{ext}=aci.asc` URL). No signature at all is `ERR_SIGNATURE_MISSING`, naming where we looked.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { errnoCode, invalidArgument, verificationFailed } from '../../util/index.js';
import type { VerifiedSignature } from '../trust/verify.js';
import { verifyImageSignature } from '../trust/verify.js';
import { statusError } from './download.js';
import type { FetchEventHandler } from './events.js';
import type { HttpContext } from './http-client.js';
import { describeStatus, httpGet, readSmallBody } from './http-client.js';

/** Where an image's signature is. */
export type SignatureLocation = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'url'; readonly url: URL };

/** A signature is a few hundred bytes; anything this large is not one. */
export const MAX_SIGNATURE_BYTES = 256 * 1024;

const MISSING_HINT = 'publish a detached signature (gpg --armor --detach-sign IMAGE.aci), give it with --signature FILE, or skip verification with --insecure-options=image';

function missing(image: string, where: string, cause?: unknown): Error {
  return verificationFailed('ERR_SIGNATURE_MISSING', `no signature found for ${image}: looked for ${where}`, { hint: MISSING_HINT, cause });
}

/** The location text for messages. */
export function describeLocation(location: SignatureLocation): string {
  return location.kind === 'file' ? location.path : location.url.href;
}

async function readSignatureFile(file: string, image: string): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw missing(image, file);
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_SIGNATURE_BYTES) {
      throw invalidArgument('ERR_SIGNATURE_INVALID', `signature ${file} is not a regular file of at most ${MAX_SIGNATURE_BYTES} bytes`);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function readSignatureUrl(url: URL, image: string, context: HttpContext): Promise<string> {
  const response = await httpGet(url, { accept: 'application/pgp-signature, text/plain, */*' }, context);
  if (response.status === 404 || response.status === 410) {
    response.close();
    throw missing(image, `${url.href} (${describeStatus(response)})`);
  }
  if (response.status !== 200) statusError(response);
  return readSmallBody(response, MAX_SIGNATURE_BYTES);
}

/** The armored signature text at `location`. Throws `ERR_SIGNATURE_MISSING` when there is none. */
export async function readSignature(location: SignatureLocation, image: string, context: HttpContext): Promise<string> {
  return location.kind === 'file' ? readSignatureFile(location.path, image) : readSignatureUrl(location.url, image, context);
}

/** What to verify. */
export interface VerifyRequest {
  readonly configDir: string;
  /** The appc name whose prefixes select the keys. */
  readonly imageName: string;
  /** The image file as downloaded (the signed bytes). */
  readonly file: string;
  /** The image as the user named it (for messages). */
  readonly image: string;
  readonly armoredSignature: string;
  readonly signature: SignatureLocation;
}

/**
 * Verify `file` against the keys trusted for `imageName` (the trust module's errors: unknown
 * key, key trusted for another prefix, bad signature, no keys …) and report the signer.
 */
export async function verifyImageFile(request: VerifyRequest, signal: AbortSignal | undefined, emit: FetchEventHandler): Promise<VerifiedSignature> {
  const verified = await verifyImageSignature(request.configDir, {
    imageName: request.imageName,
    imagePath: request.file,
    armoredSignature: request.armoredSignature,
    signatureSource: describeLocation(request.signature),
  }, signal === undefined ? {} : { signal });
  emit({ kind: 'signature-verified', image: request.image, signer: verified });
  return verified;
}
