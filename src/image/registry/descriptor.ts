/**
 * @module registry/descriptor — OCI content descriptors (`{mediaType, digest, size, …}`) and the
 * platform object of index entries, parsed from untrusted JSON. Every problem names its field
 * path (`manifests[1].platform.os`) and the document it came from.
 */
import { invalidArgument } from '../../util/index.js';
import type { Digest } from './digest.js';
import { parseDigest } from './digest.js';

/** os/architecture/variant as OCI and Go spell them (`linux`, `arm64`, `v8`). */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** A reference to content by digest, with its declared size. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  /** Where non-distributable layers may be fetched from (verified like any other blob). */
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  /** Index entries only. */
  readonly platform?: Platform;
  readonly artifactType?: string;
}

/** Thrown for any shape problem in a registry document. */
export function invalidDocument(where: string, problem: string): Error {
  return invalidArgument('ERR_REGISTRY_MANIFEST_INVALID', `${where}: ${problem}`, {
    hint: 'the registry served a document rocklet cannot use; check the image with `skopeo inspect --raw`',
  });
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional string field; JSON null counts as absent (config.md allows it). */
export function optionalString(object: JsonObject, key: string, where: string, path: string): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidDocument(where, `${path}${key} must be a string`);
  return value;
}

export function requiredString(object: JsonObject, key: string, where: string, path: string): string {
  const value = optionalString(object, key, where, path);
  if (value === undefined) throw invalidDocument(where, `${path}${key} is missing`);
  return value;
}

function stringMap(value: unknown, where: string, path: string): Readonly<Record<string, string>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalidDocument(where, `${path} must be an object of strings`);
  }
  return value as Readonly<Record<string, string>>;
}

function parsePlatform(value: unknown, where: string, path: string): Platform | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidDocument(where, `${path} must be an object`);
  const variant = optionalString(value, 'variant', where, `${path}.`);
  return {
    os: requiredString(value, 'os', where, `${path}.`),
    architecture: requiredString(value, 'architecture', where, `${path}.`),
    ...(variant === undefined || variant === '' ? {} : { variant }),
  };
}

/** Parses the descriptor at `path` of the document `where`. */
export function parseDescriptor(value: unknown, where: string, path: string): Descriptor {
  if (!isObject(value)) throw invalidDocument(where, `${path} must be an object`);
  const mediaType = requiredString(value, 'mediaType', where, `${path}.`);
  const size = value.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalidDocument(where, `${path}.size must be a non-negative integer`);
  }
  const digest: Digest = parseDigest(value.digest, `${where}: ${path}.digest`);
  const urls = value.urls;
  if (urls !== undefined && urls !== null && (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string'))) {
    throw invalidDocument(where, `${path}.urls must be a list of strings`);
  }
  const annotations = stringMap(value.annotations, where, `${path}.annotations`);
  const platform = parsePlatform(value.platform, where, `${path}.platform`);
  const artifactType = optionalString(value, 'artifactType', where, `${path}.`);
  return {
    mediaType,
    digest,
    size,
    ...(Array.isArray(urls) ? { urls: urls } : {}),
    ...(annotations === undefined ? {} : { annotations }),
    ...(platform === undefined ? {} : { platform }),
    ...(artifactType === undefined ? {} : { artifactType }),
  };
}

/** `linux/arm64/v8` */
export function formatPlatform(platform: Platform): string {
  return `${platform.os}/${platform.architecture}${platform.variant === undefined ? '' : `/${platform.variant}`}`;
}
