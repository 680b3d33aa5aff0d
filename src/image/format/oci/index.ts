/**
 * @module image/format/oci — OCI / Docker image formats: Docker references (Docker Hub
 * normalization, tags, digests), layer whiteouts as overlayfs reads them, and an image config
 * as the appc app rocklet plans from (Entrypoint/Cmd with Kubernetes command/args rules). Pure:
 * no I/O.
 */
export { parseDockerReference, familiarDockerReference, DOCKER_HUB_DOMAIN, DOCKER_HUB_API_HOST } from './docker-reference.js';
export type { DockerReference, CanonicalDockerReference } from './docker-reference.js';
export type { OciOrigin, OciRunFacts } from './image-app.js';
export { DOCKER_ANNOTATION, appcArch, appcManifestFor, dockerCommand, mergeCommand, ociStoreName, splitDockerUser, volumeName } from './image-app.js';
export type { LayerPathKind } from './whiteout.js';
export { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, WHITEOUT_PREFIX, classifyLayerPath, isBadWhiteoutTarget } from './whiteout.js';
