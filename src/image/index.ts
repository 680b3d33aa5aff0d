/**
 * @module image — appc images: the ImageManifest model and validator, ACI read/write, safe tar
 * extraction, and the content-addressed image store with its tree store (DESIGN.md §4).
 */
export { parseDockerReference, familiarDockerReference, DOCKER_HUB_DOMAIN, DOCKER_HUB_API_HOST } from './docker-reference.js';
export type { DockerReference, CanonicalDockerReference } from './docker-reference.js';
export type { ACIdentifier, ACName } from './ac-types.js';
export { isACIdentifier, isACName, AC_VERSION_SUPPORTED, VALID_OS_ARCH, SUPPORTED_OS, hostArch } from './ac-types.js';
export type { ImageId } from './image-id.js';
export {
  IMAGE_ID_PREFIX, SHORT_ID_HEX, MIN_ID_PREFIX_HEX, isImageId, parseImageId, looksLikeImageId, shortImageId, imageIdHex,
} from './image-id.js';
export type { Problem } from './problems.js';
export type { Isolator, IsolatorName, IsolatorValue } from './isolators.js';
export { DEFAULT_CAPABILITIES, ISOLATOR_NAMES, LINUX_CAPABILITIES, isSysctlName, notNamespacedSysctl, sysctlNamespace } from './isolators.js';
export type { App, EventHandler, EventHandlerName, EnvironmentVariable, MountPoint, Port } from './manifest-app.js';
export { EVENT_HANDLER_NAMES } from './manifest-app.js';
export type { Label, Annotation } from './manifest-labels.js';
export { isRfc3339 } from './manifest-labels.js';
export type { ImageManifest, Dependency, ManifestValidation } from './manifest.js';
export { validateImageManifest, parseImageManifest, formatProblems, labelValue, manifestProblems } from './manifest.js';
export { parseQuantity } from './quantity.js';
export type { Compression } from './decompress.js';
export { COMPRESSIONS, detectCompression } from './decompress.js';
export type { EntryType, TarEntry } from './tar-entry.js';
export type { AciReadResult, ReadAciOptions, RootfsEntryHandler } from './aci-reader.js';
export { readAci, MAX_MANIFEST_BYTES } from './aci-reader.js';
export type { ExtractionReport } from './tree-writer.js';
export type { TreeHash } from './tree-hash.js';
export { hashTree } from './tree-hash.js';
export { copyTreeOver } from './tree-copy.js';
export type { ExtractedAci, ExtractAciOptions } from './aci-extract.js';
export { extractAci, checkDestination } from './aci-extract.js';
export type { BuildAciOptions, BuildAciResult } from './aci-build.js';
export { buildAci } from './aci-build.js';
export type { AppString } from './app-string.js';
export { parseAppString } from './app-string.js';
export type { TreeId } from './store-layout.js';
export type { ImageRecord } from './image-record.js';
export type { ImportOptions, ImportResult } from './store-import.js';
export type { GcOptions, GcResult } from './store-gc.js';
export type { StoredTree } from './tree-store.js';
export type { TreeVerification } from './store-render.js';
export type { ImageSortField, SortOrder, ListImagesOptions, OutputOptions } from './store.js';
export { ImageStore, IMAGE_SORT_FIELDS } from './store.js';
export type { SignatureCheck, VerifiedSignature, VerifySignatureOptions } from './trust/verify.js';
export { verifyImageSignature } from './trust/verify.js';
export type { TrustedKey } from './trust/keystore.js';
export { Keystore, openKeystore } from './trust/keystore.js';
export type { TrustScope } from './trust/trust-scope.js';
export { ROOT_SCOPE, TRUSTED_KEYS_DIR, parseTrustPrefix, prefixScope, prefixCovers, scopeName } from './trust/trust-scope.js';
export type { KeyFingerprint, KeyStatus, PublicKeyInfo } from './trust/public-key.js';
export { KEY_STATUSES, isKeyFingerprint, formatFingerprint, parsePublicKeys, assertKeyUsable } from './trust/public-key.js';
export type { KeySource, KeyFetchOptions } from './trust/key-source.js';
export { readKeySource, createKeyFetchContext, isUrlLocation, MAX_KEY_BYTES } from './trust/key-source.js';
export type { DiscoveredKeys } from './trust/key-discovery.js';
export { discoverPublicKeys } from './trust/key-discovery.js';
export type { DiscoveryTag, DiscoveryTagName } from './trust/discovery-tags.js';
export { DISCOVERY_TAG_NAMES, parseDiscoveryTags, tagsFor, discoveryPageUrl } from './trust/discovery-tags.js';
export type { PullPolicy, FetchingCommand } from './fetch/pull-policy.js';
export { PULL_POLICIES, PULL_POLICY_DEFAULTS, resolvePullPolicy } from './fetch/pull-policy.js';
export type { FetchEvent, FetchEventHandler, SignerInfo } from './fetch/events.js';
export type { FetchSettings, SettingsOverrides } from './fetch/settings.js';
export { DEFAULT_STALL_TIMEOUT_MS, loadFetchSettings } from './fetch/settings.js';
export type { FetchOrigin, FetchResult } from './fetch/context.js';
export type { ImageFetcherOptions, FetchImageOptions } from './fetch/fetcher.js';
export { ImageFetcher } from './fetch/fetcher.js';
export type { ImageSource } from './fetch/image-source.js';
export { classifyImage } from './fetch/image-source.js';
export { removeStaleDownloads } from './fetch/remote-cache.js';
export type {
  DockerPolicyCheck, FetchSignaturePolicy, FetchSignatureRequest, LoadPolicyOptions, LocalPolicyCheck, Policy, PolicyAcceptance, PolicyCheck, PolicyEntry,
  PolicyEntryResult, PolicyEvaluator, Requirement, RegistriesConfig, SignaturePolicyState, TrustType, VerifiedRequirement,
} from './policy/index.js';
export {
  POLICY_FILE_NAME, PULL_TRANSPORTS, TRUST_TYPES, createFetchSignaturePolicy, describeAcceptance, loadFetchSignaturePolicy, loadRegistriesConfig, loadSignaturePolicy, noPolicyError, parsePolicy, setLookaside, setPolicyEntry,
} from './policy/index.js';
