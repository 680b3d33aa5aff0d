/**
 * @module image-id — image IDs in the store: appc images are `sha512-` + 128 lowercase hex
 * digits of the SHA-512 of the uncompressed ACI tar; OCI/Docker images are `sha256-` + the 64
 * hex digits of their image manifest's digest. Full IDs are a branded type only the parser
 * creates; user input may be a prefix (≥ 2 hex digits) that selects an already stored image.
 */
import { invalidArgument } from '../../../util/index.js';

declare const imageIdBrand: unique symbol;
/** A full image ID: `sha512-` + 128 lowercase hex digits (ACI), or `sha256-` + 64 (OCI manifest digest). */
export type ImageId = string & { readonly [imageIdBrand]: true };

export const IMAGE_ID_PREFIX = 'sha512-';
/** The prefix of OCI/Docker image IDs (same length as {@link IMAGE_ID_PREFIX}). */
export const OCI_IMAGE_ID_PREFIX = 'sha256-';
/** Hex digits shown by the short form of an ID (appc's `ShortHash`). */
export const SHORT_ID_HEX = 32;
/** The fewest hex digits a user-supplied ID prefix may have. */
export const MIN_ID_PREFIX_HEX = 2;

const FULL_ID = /^(?:sha512-[0-9a-f]{128}|sha256-[0-9a-f]{64})$/;
const ID_PREFIX = /^sha(?:512|256)-[0-9a-f]*$/;

/** True when `value` is a well-formed full image ID. */
export function isImageId(value: string): value is ImageId {
  return FULL_ID.test(value);
}

/** The image ID of a finished SHA-512 hex digest. */
export function imageIdFromHex(hex: string): ImageId {
  const id = `${IMAGE_ID_PREFIX}${hex}`;
  if (!isImageId(id)) throw new Error(`not a sha512 hex digest: ${hex}`);
  return id;
}

/** Parse a full image ID; throws `ERR_INVALID_IMAGE_ID` naming what is wrong. */
export function parseImageId(text: string): ImageId {
  if (isImageId(text)) return text;
  throw invalidArgument('ERR_INVALID_IMAGE_ID', `invalid image ID "${text}": ${whyNotId(text)}`);
}

function whyNotId(text: string): string {
  if (!text.startsWith(IMAGE_ID_PREFIX)) return 'must start with "sha512-" (the only hash appc allows)';
  const hex = text.slice(IMAGE_ID_PREFIX.length);
  if (!/^[0-9a-f]*$/.test(hex)) return 'the digest must be lowercase hex';
  return `the digest must have 128 hex digits, not ${hex.length}`;
}

/** True for an OCI image ID (`sha256-` + the manifest digest's hex). */
export function isOciImageId(id: ImageId): boolean {
  return id.startsWith(OCI_IMAGE_ID_PREFIX);
}

/** The image ID of an OCI image, from its manifest digest (`sha256:<64 hex>`). */
export function ociImageId(manifestDigest: string): ImageId {
  const id = manifestDigest.replace(/^sha256:/, OCI_IMAGE_ID_PREFIX);
  if (!isImageId(id) || !isOciImageId(id)) throw new Error(`not a sha256 manifest digest: ${manifestDigest}`);
  return id;
}

/** True when `text` starts like an image ID (`sha512-` or `sha256-`). */
export function hasImageIdPrefix(text: string): boolean {
  return text.startsWith(IMAGE_ID_PREFIX) || text.startsWith(OCI_IMAGE_ID_PREFIX);
}

/** True for text that looks like an image ID or a prefix of one (`sha512-`/`sha256-` + hex). */
export function looksLikeImageId(text: string): boolean {
  return ID_PREFIX.test(text);
}

/** The display form: `sha512-` + the first 32 hex digits. */
export function shortImageId(id: ImageId, hexDigits: number = SHORT_ID_HEX): string {
  return id.slice(0, IMAGE_ID_PREFIX.length + hexDigits);
}

/** The hex digits of an ID (128 for an ACI, 64 for an OCI image). */
export function imageIdHex(id: ImageId): string {
  return id.slice(IMAGE_ID_PREFIX.length);
}
