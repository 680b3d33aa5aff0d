/**
 * @module docker-reference — Docker image references (`name[:tag][@digest]`) parsed and
 * normalised as distribution/reference does (formats.md §2.1): `nginx` becomes
 * `docker.io/library/nginx:latest`, `index.docker.io` becomes `docker.io`, the first path
 * component is a registry only when it has a `.` or `:`, is `localhost` or has uppercase.
 * Invariants of a parsed reference: lowercase repository path, name ≤ 255 characters, tag
 * `[\w][\w.-]{0,127}`, digest `sha256:<64 hex>` or `sha512:<128 hex>`; with no tag and no
 * digest the tag is `latest`. Pure: no network, no I/O.
 */
import { invalidArgument } from '../../../util/index.js';

declare const dockerReferenceBrand: unique symbol;
/** The canonical string of a parsed reference, e.g. `docker.io/library/nginx:1.27`. */
export type CanonicalDockerReference = string & { readonly [dockerReferenceBrand]: true };

/** A parsed, normalised Docker image reference. A plain JSON-serialisable object. */
export interface DockerReference {
  /** Registry host with optional port: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/nginx`, `team/app`. */
  readonly path: string;
  /** The tag; absent only when a digest is given without a tag. */
  readonly tag?: string;
  /** `algorithm:hex`; when present it wins over the tag for pulling. */
  readonly digest?: string;
  /** `domain/path[:tag][@digest]`, the form rocklet prints and compares. */
  readonly canonical: CanonicalDockerReference;
}

/** Docker Hub's name in references (its API host is {@link DOCKER_HUB_API_HOST}). */
export const DOCKER_HUB_DOMAIN = 'docker.io';
/** The host that serves the Docker Hub registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const LEGACY_HUB_DOMAIN = 'index.docker.io';
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };
const IMAGE_ID = /^[a-f0-9]{64}$/;

function fail(text: string, why: string): never {
  throw invalidArgument('ERR_IMAGE_REFERENCE', `invalid image reference "${text}": ${why}`, {
    hint: 'expected [REGISTRY[:PORT]/]NAME[:TAG][@DIGEST], e.g. nginx:1.27 or registry.example.com/team/app@sha256:…',
  });
}

function isDomainPart(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost' || part !== part.toLowerCase();
}

function checkDomain(text: string, domain: string): void {
  const colon = domain.startsWith('[') ? domain.indexOf(':', domain.indexOf(']')) : domain.indexOf(':');
  const host = colon === -1 ? domain : domain.slice(0, colon);
  const port = colon === -1 ? undefined : domain.slice(colon + 1);
  const hostOk = IPV6_HOST.test(host) || (host !== '' && host.split('.').every((part) => HOST_COMPONENT.test(part)));
  if (!hostOk) fail(text, `"${domain}" is not a valid registry host`);
  if (port !== undefined && !PORT.test(port)) fail(text, `"${port}" is not a valid registry port`);
}

function checkDigest(text: string, digest: string): void {
  const match = DIGEST.exec(digest);
  if (match === null) fail(text, `"${digest}" is not a digest (expected algorithm:hex, e.g. sha256:<64 hex>)`);
  const [, algorithm = '', hex = ''] = match;
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) fail(text, `unsupported digest algorithm "${algorithm}" (sha256 or sha512)`);
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    fail(text, `the ${algorithm} digest must be ${length} lowercase hex characters`);
  }
}

function splitDomain(text: string, name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  if (slash === -1 || !isDomainPart(first)) {
    const path = slash === -1 ? `library/${name}` : name;
    return { domain: DOCKER_HUB_DOMAIN, path };
  }
  checkDomain(text, first);
  const domain = first === LEGACY_HUB_DOMAIN ? DOCKER_HUB_DOMAIN : first;
  const rest = name.slice(slash + 1);
  const path = domain === DOCKER_HUB_DOMAIN && !rest.includes('/') ? `library/${rest}` : rest;
  return { domain, path };
}

/**
 * Parses and normalises a Docker image reference.
 * @throws RockletError `ERR_IMAGE_REFERENCE` (invalid-argument) naming what is wrong.
 */
export function parseDockerReference(text: string): DockerReference {
  if (text.trim() === '') fail(text, 'must not be empty');
  if (/\s/.test(text)) fail(text, 'must not contain whitespace');
  if (IMAGE_ID.test(text)) fail(text, 'a 64-character hex string is an image ID, not a reference');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(text, digest);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      fail(text, tag.length > 128 ? 'the tag is longer than 128 characters' : `"${tag}" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]*)`);
    }
  }
  if (rest === '') fail(text, 'the repository name is missing');
  const { domain, path } = splitDomain(text, rest);
  for (const component of path.split('/')) {
    if (component !== component.toLowerCase()) fail(text, 'the repository name must be lowercase');
    if (!PATH_COMPONENT.test(component)) {
      fail(text, `"${component}" is not a valid path component (lowercase letters, digits and single separators . _ __ -)`);
    }
  }
  const name = `${domain}/${path}`;
  if (name.length > MAX_NAME_LENGTH) fail(text, `the repository name is longer than ${MAX_NAME_LENGTH} characters`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  const canonical = `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    canonical: canonical as CanonicalDockerReference,
  };
}

/** The short form people write: `nginx:1.27` for Docker Hub library images, else the canonical form. */
export function familiarDockerReference(reference: DockerReference): string {
  if (reference.domain !== DOCKER_HUB_DOMAIN) return reference.canonical;
  const path = reference.path.startsWith('library/') ? reference.path.slice('library/'.length) : reference.path;
  const suffix = reference.canonical.slice(`${DOCKER_HUB_DOMAIN}/${reference.path}`.length);
  return `${path}${suffix}`;
}
