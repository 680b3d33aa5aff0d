/**
 * @module image/tree — filesystem trees: the safe extraction sink (no `..`, absolute paths,
 * symlink or hardlink escapes, no writes through symlinks), tree hashes, copying a tree over
 * another (dependency merge), and xattrs. Writes only under the root it is given.
 */
export type { ExtractionReport } from './tree-writer.js';
export type { TreeHash } from './tree-hash.js';
export { hashTree } from './tree-hash.js';
export { copyTreeOver } from './tree-copy.js';
