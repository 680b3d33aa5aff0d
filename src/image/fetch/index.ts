/**
 * @module image/fetch — getting images into the store, one module per transport: local files
 * (file-fetcher), https URLs (url-fetcher: resumable downloads, HTTP cache), appc names (meta
 * discovery), under a pull policy; signatures are checked through trust before import.
 * Owns `<dir>/images/remote/` and `<dir>/images/downloads/` (see remote-cache.ts, download.ts).
 */
export type { PullPolicy, FetchingCommand } from './pull-policy.js';
export { PULL_POLICIES, PULL_POLICY_DEFAULTS, resolvePullPolicy } from './pull-policy.js';
export type { FetchEvent, FetchEventHandler, SignerInfo } from './events.js';
export type { FetchSettings, SettingsOverrides } from './settings.js';
export { DEFAULT_STALL_TIMEOUT_MS, loadFetchSettings } from './settings.js';
export { checkRegistryLogin } from './registry-login.js';
export type { FetchOrigin, FetchResult } from './context.js';
export type { ImageFetcherOptions, FetchImageOptions } from './fetcher.js';
export type { ImageSignaturePolicy, OciTransport, SignatureCheckRequest, SignatureCheckResult } from './signature-policy.js';
export { NOT_VERIFIED, OCI_TRANSPORTS, createDefaultSignaturePolicy } from './signature-policy.js';
export { ImageFetcher } from './fetcher.js';
export type { ImageSource } from './image-source.js';
export { classifyImage } from './image-source.js';
export { removeStaleDownloads } from './remote-cache.js';
