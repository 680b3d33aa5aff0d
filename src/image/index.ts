/**
 * @module image — images from name to rootfs (DESIGN.md §4; map in docs/ARCHITECTURE.md §6):
 * `format/aci` and `format/oci` (pure formats), `archive/` (decompression, tar parsing, hashing),
 * `tree/` (safe extraction, tree hashes and copies), `store/` (content-addressed blobs, index,
 * trees, render, gc), `fetch/` (one module per transport), `registry/` (Docker registry v2
 * client) and `trust/` (keystore, OpenPGP). Other layers import only this file.
 */
export { parseDockerReference, familiarDockerReference, DOCKER_HUB_DOMAIN, DOCKER_HUB_API_HOST } from './format/oci/index.js';
export type { DockerReference, CanonicalDockerReference, OciOrigin, OciRunFacts } from './format/oci/index.js';
export { DOCKER_ANNOTATION, dockerCommand, mergeCommand, splitDockerUser } from './format/oci/index.js';
export type { ACIdentifier, ACName } from './format/aci/index.js';
export { isACIdentifier, isACName, AC_VERSION_SUPPORTED, VALID_OS_ARCH, SUPPORTED_OS, hostArch } from './format/aci/index.js';
export type { ImageId } from './format/aci/index.js';
export {
  IMAGE_ID_PREFIX, SHORT_ID_HEX, MIN_ID_PREFIX_HEX, isImageId, parseImageId, looksLikeImageId, shortImageId, imageIdHex,
  OCI_IMAGE_ID_PREFIX, isOciImageId, ociImageId, hasImageIdPrefix,
} from './format/aci/index.js';
export type { Problem } from './format/aci/index.js';
export type { Isolator, IsolatorName, IsolatorValue } from './format/aci/index.js';
export { DEFAULT_CAPABILITIES, ISOLATOR_NAMES, LINUX_CAPABILITIES, isSysctlName, notNamespacedSysctl, sysctlNamespace } from './format/aci/index.js';
export type { App, EventHandler, EventHandlerName, EnvironmentVariable, MountPoint, Port } from './format/aci/index.js';
export { EVENT_HANDLER_NAMES } from './format/aci/index.js';
export type { Label, Annotation } from './format/aci/index.js';
export { isRfc3339 } from './format/aci/index.js';
export type { ImageManifest, Dependency, ManifestValidation } from './format/aci/index.js';
export { validateImageManifest, parseImageManifest, formatProblems, labelValue, manifestProblems } from './format/aci/index.js';
export { parseQuantity } from './format/aci/index.js';
export type { Compression } from './archive/index.js';
export { COMPRESSIONS, detectCompression } from './archive/index.js';
export type { EntryType, TarEntry } from './archive/index.js';
export type { AciReadResult, ReadAciOptions, RootfsEntryHandler } from './format/aci/index.js';
export { readAci, MAX_MANIFEST_BYTES } from './format/aci/index.js';
export type { ExtractionReport } from './tree/index.js';
export type { TreeHash } from './tree/index.js';
export { hashTree } from './tree/index.js';
export { copyTreeOver } from './tree/index.js';
export type { ExtractedAci, ExtractAciOptions } from './format/aci/index.js';
export { extractAci, checkDestination } from './format/aci/index.js';
export type { BuildAciOptions, BuildAciResult } from './format/aci/index.js';
export { buildAci } from './format/aci/index.js';
export type { AppString } from './format/aci/index.js';
export { parseAppString } from './format/aci/index.js';
export type { TreeId } from './store/index.js';
export type { ImageRecord, OciImageRecord, OciLayerRecord } from './store/index.js';
export type { ImportOptions, ImportResult } from './store/index.js';
export type { GcOptions, GcResult } from './store/index.js';
export type { StoredTree } from './store/index.js';
export type { TreeVerification } from './store/index.js';
export type { ImageSortField, SortOrder, ListImagesOptions, OutputOptions } from './store/index.js';
export { ImageStore, IMAGE_SORT_FIELDS } from './store/index.js';
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
export type { PullPolicy, FetchingCommand } from './fetch/index.js';
export { PULL_POLICIES, PULL_POLICY_DEFAULTS, resolvePullPolicy } from './fetch/index.js';
export type { FetchEvent, FetchEventHandler, SignerInfo } from './fetch/index.js';
export type { FetchSettings, SettingsOverrides } from './fetch/index.js';
export { DEFAULT_STALL_TIMEOUT_MS, loadFetchSettings } from './fetch/index.js';
export { checkRegistryLogin } from './fetch/index.js';
export type { FetchOrigin, FetchResult } from './fetch/index.js';
export type { ImageFetcherOptions, FetchImageOptions } from './fetch/index.js';
export type { ImageSignaturePolicy, OciTransport, SignatureCheckRequest, SignatureCheckResult } from './fetch/index.js';
export { NOT_VERIFIED, OCI_TRANSPORTS, createDefaultSignaturePolicy } from './fetch/index.js';
export type { Platform } from './registry/index.js';
export { AUTH_FILE_NAME, formatPlatform, parsePlatform, storeCredentials } from './registry/index.js';
export { ImageFetcher } from './fetch/index.js';
export type { ImageSource } from './fetch/index.js';
export { classifyImage } from './fetch/index.js';
export { removeStaleDownloads } from './fetch/index.js';
export type {
  DockerPolicyCheck, FetchSignaturePolicy, FetchSignatureRequest, LoadPolicyOptions, LocalPolicyCheck, Policy, PolicyAcceptance, PolicyCheck, PolicyEntry,
  PolicyEntryResult, PolicyEvaluator, Requirement, RegistriesConfig, SignaturePolicyState, TrustType, VerifiedRequirement,
} from './policy/index.js';
export {
  POLICY_FILE_NAME, PULL_TRANSPORTS, TRUST_TYPES, createFetchSignaturePolicy, describeAcceptance, lazyFetchSignaturePolicy, loadFetchSignaturePolicy, loadRegistriesConfig, loadSignaturePolicy, noPolicyError, parsePolicy, setLookaside, setPolicyEntry,
} from './policy/index.js';
