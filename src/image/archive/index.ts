/**
 * @module image/archive — bytes of archives: compression by magic bytes (gzip in-process, xz and
 * bzip2 through host tools), our own streaming tar parser, tar entry model, and the SHA-512 tar
 * hasher (inline or on a worker thread sharing a ring of buffers). Owns no on-disk state.
 */
export type { Compression } from './decompress.js';
export { COMPRESSIONS, detectCompression } from './decompress.js';
export type { EntryType, TarEntry } from './tar-entry.js';
