/**
 * @module image/format/oci — OCI / Docker image formats: Docker references (Docker Hub
 * normalization, tags, digests). Pure: no I/O.
 */
export { parseDockerReference, familiarDockerReference, DOCKER_HUB_DOMAIN, DOCKER_HUB_API_HOST } from './docker-reference.js';
export type { DockerReference, CanonicalDockerReference } from './docker-reference.js';
