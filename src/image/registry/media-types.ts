/**
 * @module registry/media-types — the manifest and config media types rocklet knows, and the
 * `Accept` header every manifest request sends. Without it registries down-convert to
 * schema 1 or pick a platform themselves (machine-facts §5), so it is never optional.
 */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Schema 1 (deprecated, unsigned digests of re-serialised JSON): refused. */
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

/** Media types of a runnable image's config blob. */
export const IMAGE_CONFIG_TYPES: readonly string[] = [OCI_CONFIG, DOCKER_CONFIG];

/** Sent with every manifest request, in the order formats.md §2.2 gives. */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST].join(', ');

/** A registry refuses manifest PUTs larger than this; a larger GET body is not a manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Image configs are small JSON documents; anything larger is refused before parsing. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
