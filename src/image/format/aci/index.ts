/**
 * @module image/format/aci — the appc image format: ImageManifest model and validator (every problem
 * names its field path), image IDs (`sha512-` of the uncompressed tar), app strings, isolators, and
 * ACI read (one pass: decompress, parse, check the layout, extract, hash), extract, unpack and build.
 * Pure format code: it owns no on-disk state.
 */
export type { ACIdentifier, ACName } from './ac-types.js';
export { isACIdentifier, isACName, AC_VERSION_SUPPORTED, VALID_OS_ARCH, SUPPORTED_OS, hostArch } from './ac-types.js';
export type { ImageId } from './image-id.js';
export {
  IMAGE_ID_PREFIX, SHORT_ID_HEX, MIN_ID_PREFIX_HEX, isImageId, parseImageId, looksLikeImageId, shortImageId, imageIdHex,
  OCI_IMAGE_ID_PREFIX, isOciImageId, ociImageId, hasImageIdPrefix,
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
export type { AciReadResult, ReadAciOptions, RootfsEntryHandler } from './aci-reader.js';
export { readAci, MAX_MANIFEST_BYTES } from './aci-reader.js';
export type { ExtractedAci, ExtractAciOptions } from './aci-extract.js';
export { extractAci, checkDestination } from './aci-extract.js';
export type { BuildAciOptions, BuildAciResult } from './aci-build.js';
export { buildAci } from './aci-build.js';
export type { AppString } from './app-string.js';
export { parseAppString } from './app-string.js';
