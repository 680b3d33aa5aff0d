/**
 * @module image/registry — a Docker registry HTTP API v2 pull client (issue 13, part 2).
 *
 * Offers `RegistryClient` for one registry host and its mirrors: ping, anonymous / Bearer token
 * / Basic auth (credentials from `<config-dir>/auth.json`, Docker's `auths` format), manifests
 * by tag or digest decoded into typed unions (OCI and Docker schema 2 manifests and indexes;
 * schema 1 refused), platform selection from indexes, the image config, and blob downloads
 * into files: streamed, verified while streaming, resumable, parallel, with a stall deadline.
 * Invariants: nothing is parsed or returned before it matched its digest; a blob file exists
 * only when complete and verified (its `.partial` twin holds an interrupted download); plain
 * HTTP only for registries configured insecure. It owns no on-disk state of its own.
 */
export type { Credentials, CredentialStore } from './auth-file.js';
export { AUTH_FILE_NAME, credentialKey, loadCredentials, parseAuthFile, storeCredentials } from './auth-file.js';
export type { BlobDownloadOptions, BlobObserver } from './blob-download.js';
export { partialPath } from './blob-download.js';
export type { Challenge } from './challenge.js';
export { parseChallenges } from './challenge.js';
export type { BlobTarget, PingResult, PullTarget, RegistryClientOptions, ResolveOptions, ResolvedImage } from './client.js';
export { DEFAULT_BLOB_CONCURRENCY, pullTarget, RegistryClient } from './client.js';
export type { Descriptor, Platform } from './descriptor.js';
export { formatPlatform } from './descriptor.js';
export type { Digest, DigestAlgorithm } from './digest.js';
export { DIGEST_ALGORITHMS, digestOf, parseDigest } from './digest.js';
export type { RegistryEvent, RegistryEventHandler } from './events.js';
export type { ImageConfig, RunConfig } from './image-config.js';
export { parseImageConfig } from './image-config.js';
export type { ImageIndex, ImageManifest, Manifest, ManifestFormat } from './manifest.js';
export { parseManifest } from './manifest.js';
export type { FetchedManifest } from './manifest-fetch.js';
export * as mediaTypes from './media-types.js';
export { hostPlatform, parsePlatform, platformMatches, selectPlatform } from './platform.js';
