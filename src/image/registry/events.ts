/**
 * @module registry/events — what a pull reports while it runs (the style of fetch/events.ts:
 * library code never prints; the CLI turns these into progress bars or lines).
 */
import type { Digest } from './digest.js';

/** One step of a registry pull. */
export type RegistryEvent =
  /** A manifest was fetched and verified; `digest` is what it hashed to. */
  | { readonly kind: 'manifest'; readonly reference: string; readonly digest: Digest; readonly mediaType: string }
  /** A blob download begins; `resumeFrom` > 0 when a partial download continues. */
  | { readonly kind: 'blob-start'; readonly digest: Digest; readonly totalBytes: number; readonly resumeFrom: number }
  | { readonly kind: 'blob-progress'; readonly digest: Digest; readonly bytes: number; readonly totalBytes: number }
  | { readonly kind: 'blob-done'; readonly digest: Digest; readonly bytes: number }
  /** A kept partial download could not be resumed and was thrown away. */
  | { readonly kind: 'blob-restart'; readonly digest: Digest; readonly reason: string }
  /** A mirror failed and the next endpoint (another mirror or the registry) is tried. */
  | { readonly kind: 'mirror-failed'; readonly mirror: string; readonly code: string; readonly message: string };

/** Receives registry events; must not throw. */
export type RegistryEventHandler = (event: RegistryEvent) => void;
