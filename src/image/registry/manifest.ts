/**
 * @module registry/manifest — manifests as typed unions, decoded from the exact bytes a registry
 * served: OCI image manifest, Docker schema 2, OCI index, Docker manifest list. Schema 1 is
 * refused with its own error. The type comes from `Content-Type`, falling back to the body's
 * `mediaType` (and to the shape, for OCI documents that omit it). Pure: no I/O.
 */
import { failedPrecondition } from '../../util/index.js';
import type { Descriptor, JsonObject } from './descriptor.js';
import { invalidDocument, isObject, optionalString, parseDescriptor } from './descriptor.js';
import {
  DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, OCI_INDEX, OCI_MANIFEST,
} from './media-types.js';

/** Which family a document belongs to. */
export type ManifestFormat = 'oci' | 'docker';

/** One runnable image (or an artifact, when `config.mediaType` is not an image config). */
export interface ImageManifest {
  readonly kind: 'image';
  readonly format: ManifestFormat;
  readonly mediaType: typeof OCI_MANIFEST | typeof DOCKER_MANIFEST;
  readonly config: Descriptor;
  /** Base layer first. */
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A list of manifests, one per platform (or nested indexes). */
export interface ImageIndex {
  readonly kind: 'index';
  readonly format: ManifestFormat;
  readonly mediaType: typeof OCI_INDEX | typeof DOCKER_MANIFEST_LIST;
  readonly manifests: readonly Descriptor[];
}

export type Manifest = ImageManifest | ImageIndex;

const KNOWN = [OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST] as const;
type KnownType = (typeof KNOWN)[number];

function isKnown(value: string): value is KnownType {
  return (KNOWN as readonly string[]).includes(value);
}

/** The media type of a Content-Type header value (parameters such as charset dropped). */
export function baseMediaType(contentType: string | undefined): string | undefined {
  const base = contentType?.split(';')[0]?.trim().toLowerCase();
  return base === undefined || base === '' ? undefined : base;
}

function schema1Refused(where: string): Error {
  return failedPrecondition('ERR_REGISTRY_SCHEMA1', `${where}: the registry served a Docker schema 1 manifest, which rocklet does not support`, {
    hint: 'schema 1 is deprecated and its digests cannot be verified; push the image again with a current tool (docker, buildah, skopeo) to get a schema 2 or OCI manifest',
  });
}

function decideType(body: JsonObject, contentType: string | undefined, where: string): KnownType {
  const header = baseMediaType(contentType);
  const declared = optionalString(body, 'mediaType', where, '');
  for (const candidate of [header, declared]) {
    if (candidate === DOCKER_SCHEMA1 || candidate === DOCKER_SCHEMA1_SIGNED) throw schema1Refused(where);
  }
  if (body.schemaVersion === 1) throw schema1Refused(where);
  if (header !== undefined && isKnown(header)) return header;
  if (declared !== undefined && isKnown(declared)) return declared;
  // OCI allows omitting mediaType; the shape tells an index from a manifest.
  if (declared === undefined && Array.isArray(body.manifests)) return OCI_INDEX;
  if (declared === undefined && isObject(body.config) && Array.isArray(body.layers)) return OCI_MANIFEST;
  throw invalidDocument(where, `unsupported manifest type ${JSON.stringify(declared ?? header ?? 'none')}`);
}

function descriptors(body: JsonObject, key: string, where: string): Descriptor[] {
  const list = body[key];
  if (!Array.isArray(list)) throw invalidDocument(where, `${key} must be a list`);
  return list.map((item, index) => parseDescriptor(item, where, `${key}[${index}]`));
}

/**
 * Decodes manifest `bytes` (already verified against their digest by the caller).
 * `where` names the document in messages (e.g. `127.0.0.1:5000/team/app@sha256:…`).
 * @throws `ERR_REGISTRY_SCHEMA1`, `ERR_REGISTRY_MANIFEST_INVALID`, `ERR_REGISTRY_DIGEST_INVALID`.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, where: string): Manifest {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalidDocument(where, `the manifest is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(body)) throw invalidDocument(where, 'the manifest is not a JSON object');
  const mediaType = decideType(body, contentType, where);
  if (body.schemaVersion !== 2) throw invalidDocument(where, `schemaVersion must be 2, not ${JSON.stringify(body.schemaVersion)}`);
  const format: ManifestFormat = mediaType === OCI_MANIFEST || mediaType === OCI_INDEX ? 'oci' : 'docker';
  if (mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST) {
    return { kind: 'index', format, mediaType, manifests: descriptors(body, 'manifests', where) };
  }
  const annotations = body.annotations;
  return {
    kind: 'image',
    format,
    mediaType,
    config: parseDescriptor(body.config, where, 'config'),
    layers: descriptors(body, 'layers', where),
    ...(isObject(annotations) ? { annotations: annotations as Readonly<Record<string, string>> } : {}),
  };
}
