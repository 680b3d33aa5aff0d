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
export { ISOLATOR_NAMES, LINUX_CAPABILITIES } from './isolators.js';
export type { App, EventHandler, EventHandlerName, EnvironmentVariable, MountPoint, Port } from './manifest-app.js';
export { EVENT_HANDLER_NAMES } from './manifest-app.js';
export type { Label, Annotation } from './manifest-labels.js';
export { isRfc3339 } from './manifest-labels.js';
export type { ImageManifest, Dependency, ManifestValidation } from './manifest.js';
export { validateImageManifest, parseImageManifest, formatProblems, labelValue } from './manifest.js';
export { parseQuantity } from './quantity.js';
export type { Compression } from './decompress.js';
export { COMPRESSIONS, detectCompression } from './decompress.js';
export type { EntryType, TarEntry } from './tar-entry.js';
export type { AciReadResult, ReadAciOptions, RootfsEntryHandler } from './aci-reader.js';
export { readAci, MAX_MANIFEST_BYTES } from './aci-reader.js';
export type { ExtractionReport } from './tree-writer.js';
export type { TreeHash } from './tree-hash.js';
export { hashTree } from './tree-hash.js';
export type { ExtractedAci, ExtractAciOptions } from './aci-extract.js';
export { extractAci } from './aci-extract.js';
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
