/**
 * @module image/store — the content-addressed image store under `<dir>/images/` (layout in
 * store-layout.ts): blobs, the index of image records (the commit point), unpacked and rendered
 * trees, work dirs, import, resolve, render, verify and gc. Crash at any instant leaves it
 * consistent: every visible file was written atomically after what it names was durable.
 */
export type { TreeId } from './store-layout.js';
export type { ImageRecord, OciImageRecord, OciLayerRecord } from './image-record.js';
export type { OciImportInput, OciImportLayer, OciImportResult } from './oci-import.js';
export type { ImportOptions, ImportResult } from './store-import.js';
export type { GcOptions, GcResult } from './store-gc.js';
export type { StoredTree } from './tree-store.js';
export type { TreeVerification } from './store-render.js';
export type { ImageSortField, SortOrder, ListImagesOptions, OutputOptions } from './store.js';
export { ImageStore, IMAGE_SORT_FIELDS } from './store.js';
