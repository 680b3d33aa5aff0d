/**
 * @module store-resolve — find stored images: by ID prefix (≥ 2 hex digits after `sha512-`),
 * by `name[:version][,label=value…]`, and the dependency chain of an image (formats.md §1.3,
 * rkt.md §3.3–3.4). Pure functions over the list of records.
 */
import { invalidArgument, notFound } from '../../util/index.js';
import { parseAppString } from '../format/aci/app-string.js';
import type { ImageId } from '../format/aci/image-id.js';
import { IMAGE_ID_PREFIX, MIN_ID_PREFIX_HEX, hasImageIdPrefix, looksLikeImageId } from '../format/aci/image-id.js';
import type { ImageRecord } from './image-record.js';
import type { Dependency } from '../format/aci/manifest.js';
import type { Label } from '../format/aci/manifest-labels.js';

/** Resolve a user-given ID prefix. Errors: too short, not found, ambiguous — each its own code. */
export function resolveIdPrefix(records: readonly ImageRecord[], text: string): ImageRecord {
  const hex = text.slice(IMAGE_ID_PREFIX.length);
  if (hex.length < MIN_ID_PREFIX_HEX) {
    throw invalidArgument('ERR_IMAGE_ID_TOO_SHORT', `image ID too short: "${text}"`, {
      hint: `give at least ${MIN_ID_PREFIX_HEX} hex digits after "sha512-"`,
    });
  }
  if (hex.length > 128) throw invalidArgument('ERR_INVALID_IMAGE_ID', `invalid image ID "${text}": more than 128 hex digits`);
  const matches = records.filter((record) => record.id.startsWith(text));
  const [first] = matches;
  if (first === undefined) {
    throw notFound('ERR_IMAGE_NOT_FOUND', `no image IDs found matching "${text}"`, { hint: 'list images with "rocklet image list"' });
  }
  if (matches.length > 1) {
    throw invalidArgument('ERR_IMAGE_ID_AMBIGUOUS', `ambiguous image ID: "${text}" matches ${matches.length} images`, {
      hint: 'give more hex digits of the ID',
    });
  }
  return first;
}

function hasLabels(record: ImageRecord, labels: readonly Label[]): boolean {
  return labels.every((wanted) => record.labels.some((label) => label.name === wanted.name && label.value === wanted.value));
}

/** The newest-imported image with this name carrying every requested label, if any. */
export function findByName(records: readonly ImageRecord[], name: string, labels: readonly Label[]): ImageRecord | undefined {
  const candidates = records.filter((record) => record.name === name && hasLabels(record, labels));
  return candidates.sort((a, b) => b.importTime.getTime() - a.importTime.getTime())[0];
}

function describeLabels(labels: readonly Label[]): string {
  return labels.length === 0 ? '' : ` with ${labels.map((label) => `${label.name}=${label.value}`).join(', ')}`;
}

/**
 * Resolve what a user typed: an ID prefix (`sha512-…`) or `name[:version][,label=value…]`.
 * Throws `ERR_IMAGE_NOT_FOUND` when nothing matches.
 */
export function resolveReference(records: readonly ImageRecord[], text: string): ImageRecord {
  if (hasImageIdPrefix(text) && looksLikeImageId(text)) return resolveIdPrefix(records, text);
  if (hasImageIdPrefix(text)) throw invalidArgument('ERR_INVALID_IMAGE_ID', `invalid image ID "${text}": the digest must be lowercase hex`);
  const { name, labels } = parseAppString(text);
  const found = findByName(records, name, labels);
  if (found === undefined) {
    throw notFound('ERR_IMAGE_NOT_FOUND', `no image named "${name}"${describeLabels(labels)} in the store`, {
      hint: 'fetch it first, or list images with "rocklet image list"',
    });
  }
  return found;
}

function resolveDependency(records: readonly ImageRecord[], dependency: Dependency, of: ImageRecord): ImageRecord {
  if (dependency.imageID !== undefined) {
    const byId = records.find((record) => record.id === dependency.imageID);
    if (byId === undefined) {
      throw notFound('ERR_DEPENDENCY_NOT_FOUND', `dependency ${dependency.imageName} (${dependency.imageID}) of ${of.name} is not in the store`, {
        hint: 'fetch the dependency first',
      });
    }
    if (byId.name !== dependency.imageName) {
      throw invalidArgument('ERR_DEPENDENCY_MISMATCH', `dependency ${dependency.imageID} of ${of.name} is named ${byId.name}, not ${dependency.imageName}`);
    }
    return byId;
  }
  const found = findByName(records, dependency.imageName, dependency.labels);
  if (found === undefined) {
    throw notFound('ERR_DEPENDENCY_NOT_FOUND', `dependency ${dependency.imageName}${describeLabels(dependency.labels)} of ${of.name} is not in the store`, {
      hint: 'fetch the dependency first',
    });
  }
  return found;
}

/**
 * The layers of `image`, lowest first: each dependency's own layers (depth-first, in listed
 * order), then the image. An image reached twice is kept at its first position.
 */
export function dependencyLayers(records: readonly ImageRecord[], image: ImageRecord): ImageRecord[] {
  const layers: ImageRecord[] = [];
  const visit = (record: ImageRecord, chain: readonly ImageId[]): void => {
    if (chain.includes(record.id)) {
      throw invalidArgument('ERR_DEPENDENCY_CYCLE', `image ${record.name} depends on itself (through ${chain.length} levels)`);
    }
    for (const dependency of record.manifest.dependencies) visit(resolveDependency(records, dependency, record), [...chain, record.id]);
    if (!layers.some((layer) => layer.id === record.id)) layers.push(record);
  };
  visit(image, []);
  return layers;
}
