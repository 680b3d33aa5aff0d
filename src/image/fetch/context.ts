/**
 * @module fetch/context — what every fetcher gets, and what every fetch returns.
 */
import { notFound } from '../../util/index.js';
import type { ImageRecord } from '../store/image-record.js';
import type { ImageStore } from '../store/store.js';
import type { VerifiedSignature } from '../trust/verify.js';
import type { FetchEventHandler } from './events.js';
import type { HttpContext } from './http-client.js';
import type { PullPolicy } from './pull-policy.js';
import type { Platform } from '../registry/descriptor.js';
import type { ImageSignaturePolicy } from './signature-policy.js';

/** Shared by the file, URL and name fetchers. */
export interface FetchContext {
  readonly store: ImageStore;
  /** Where the trusted keys are (`<configDir>/trustedkeys`). */
  readonly configDir: string;
  readonly pullPolicy: PullPolicy;
  /** Network settings, insecure options and the abort signal. */
  readonly http: HttpContext;
  readonly emit: FetchEventHandler;
  /** Decides whether an OCI/Docker image may enter the store (signature-policy.ts). */
  readonly signaturePolicy: ImageSignaturePolicy;
  /** `--platform`: the index entry to pick and the platform images must have (default: the host's). */
  readonly platform?: Platform | undefined;
}

/** Where a fetched image came from. */
export type FetchOrigin = 'store' | 'cache' | 'download' | 'file';

/** A fetched image. */
export interface FetchResult {
  readonly record: ImageRecord;
  readonly origin: FetchOrigin;
  /** The signer, when the image was verified during this fetch. */
  readonly verified: VerifiedSignature | undefined;
}

/** True unless `--insecure-options=image` switched signature checks off. */
export function verifying(context: FetchContext): boolean {
  return !context.http.insecure.has('image');
}

/** The error of a store miss under `--pull-policy=never`. */
export function notInStore(image: string): Error {
  return notFound('ERR_IMAGE_NOT_IN_STORE', `image "${image}" is not in the store, and --pull-policy=never forbids fetching it`, {
    hint: 'fetch it first, or use --pull-policy=new',
  });
}

/** An ACI import's progress as `import-progress` events for `source` (the file or URL). */
export function importProgress(context: FetchContext, source: string): (tarBytes: number) => void {
  return (bytes) => context.emit({ kind: 'import-progress', source, bytes });
}
