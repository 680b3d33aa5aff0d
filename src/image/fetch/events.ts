/**
 * @module fetch/events — what a fetch reports while it runs. Library code never prints; the
 * CLI turns these into progress bars or `fetch: …` lines.
 */

/** The signer of a verified image (the trust module's answer). */
export interface SignerInfo {
  readonly fingerprint: string;
  readonly identities: readonly string[];
  /** The prefix (or `root`) the key is trusted for. */
  readonly trustedFor: string;
}

/** One step of a fetch. */
export type FetchEvent =
  /** A local file is imported (always, whatever the pull policy). */
  | { readonly kind: 'file'; readonly path: string }
  /** An image was found in the store for a name or image ID; nothing was fetched. */
  | { readonly kind: 'store-hit'; readonly reference: string; readonly imageId: string }
  /** Meta discovery turned a name into an image URL. */
  | { readonly kind: 'discovered'; readonly name: string; readonly url: string }
  /** The store's copy of a URL was used: `policy-new`, still `fresh` (max-age), or `not-modified` (304). */
  | { readonly kind: 'cache-hit'; readonly url: string; readonly imageId: string; readonly reason: 'policy-new' | 'fresh' | 'not-modified' }
  /** A download begins; `resumeFrom` > 0 when a partial download continues. */
  | { readonly kind: 'download-start'; readonly url: string; readonly totalBytes: number | undefined; readonly resumeFrom: number }
  | { readonly kind: 'download-progress'; readonly url: string; readonly bytes: number; readonly totalBytes: number | undefined }
  | { readonly kind: 'download-done'; readonly url: string; readonly bytes: number }
  /** A kept partial download could not be resumed and was thrown away. */
  | { readonly kind: 'download-restart'; readonly url: string; readonly reason: string }
  /** An ACI is being unpacked into the store: `bytes` of its tar so far (the size after decompression is not known ahead). */
  | { readonly kind: 'import-progress'; readonly source: string; readonly bytes: number }
  | { readonly kind: 'signature-verified'; readonly image: string; readonly signer: SignerInfo }
  /** A dependency of an image is fetched. */
  | { readonly kind: 'dependency'; readonly of: string; readonly name: string };

/** Receives fetch events; must not throw. */
export type FetchEventHandler = (event: FetchEvent) => void;
