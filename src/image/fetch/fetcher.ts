/**
 * @module fetch/fetcher — `fetch IMAGE`: classify the argument, run the matching fetcher under
 * the pull policy, then make sure the image's dependencies are in the store too (rkt.md §1.5:
 * fetched by name and labels under `new`, or found by image ID; `never` only checks the store).
 */
import path from 'node:path';
import type { InsecureOptions } from '../../util/index.js';
import { invalidArgument } from '../../util/index.js';
import type { ImageRecord } from '../store/image-record.js';
import type { Dependency } from '../format/aci/manifest.js';
import type { ImageStore } from '../store/store.js';
import type { FetchContext, FetchResult } from './context.js';
import { notInStore } from './context.js';
import type { FetchEventHandler } from './events.js';
import { fetchFile } from './file-fetcher.js';
import { classifyImage } from './image-source.js';
import type { ImageRequest } from './image-request.js';
import { findInStore } from './image-request.js';
import { fetchName, fetchRequest } from './name-fetcher.js';
import type { PullPolicy } from './pull-policy.js';
import type { FetchSettings } from './settings.js';
import { fetchUrl } from './url-fetcher.js';
import { fetchDocker } from './docker-fetcher.js';
import { fetchArchive } from './archive-fetcher.js';
import type { Platform } from '../registry/descriptor.js';
import type { ImageSignaturePolicy } from './signature-policy.js';
import { createDefaultSignaturePolicy } from './signature-policy.js';

/** How an {@link ImageFetcher} works. */
export interface ImageFetcherOptions {
  readonly store: ImageStore;
  /** The config dir: trusted keys live in `<configDir>/trustedkeys`. */
  readonly configDir: string;
  readonly pullPolicy: PullPolicy;
  readonly insecure: InsecureOptions;
  /** From {@link loadFetchSettings}: TLS roots and the stall timeout. */
  readonly settings: FetchSettings;
  readonly onEvent?: FetchEventHandler | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Resolves relative file paths (default: the process's cwd). */
  readonly cwd?: string;
  /** Fetch missing dependencies too (default true). */
  readonly dependencies?: boolean;
  /** Signature policy for OCI/Docker images (default: createDefaultSignaturePolicy(insecure)). */
  readonly signaturePolicy?: ImageSignaturePolicy;
  /** `--platform` (default: this host's). */
  readonly platform?: Platform | undefined;
}

/** Per-image options. */
export interface FetchImageOptions {
  /** The signature of a local file (instead of `<file>.asc`). */
  readonly signatureFile?: string | undefined;
}

/** Nesting beyond this is a loop or an absurd image. */
const MAX_DEPENDENCY_DEPTH = 32;

/** Fetches images into the store: files, URLs, appc names and image IDs. */
export class ImageFetcher {
  readonly #options: ImageFetcherOptions;
  readonly #context: FetchContext;

  constructor(options: ImageFetcherOptions) {
    this.#options = options;
    this.#context = {
      store: options.store,
      configDir: options.configDir,
      pullPolicy: options.pullPolicy,
      http: { settings: options.settings, insecure: options.insecure, signal: options.signal },
      emit: options.onEvent ?? ((): void => undefined),
      signaturePolicy: options.signaturePolicy ?? createDefaultSignaturePolicy(options.insecure),
      platform: options.platform ?? options.settings.platform,
    };
  }

  /**
   * Fetch one image (a file path, URL, appc name or image ID). Errors: the fetchers' (HTTP,
   * discovery, signature, import), `ERR_IMAGE_NOT_IN_STORE` under `never`,
   * `ERR_IMAGE_MISMATCH`, and the store's resolution errors for an image ID.
   */
  async fetch(image: string, options: FetchImageOptions = {}): Promise<FetchResult> {
    const source = classifyImage(image, this.#options.cwd);
    if (options.signatureFile !== undefined && source.kind !== 'file' && source.kind !== 'url') {
      throw invalidArgument('ERR_SIGNATURE_FLAG', `--signature applies to files and URLs, not to "${image}"`);
    }
    const signatureFile = options.signatureFile === undefined ? undefined : path.resolve(this.#options.cwd ?? process.cwd(), options.signatureFile);
    let result: FetchResult;
    switch (source.kind) {
      case 'id': {
        const record = await this.#context.store.resolve(source.text);
        this.#context.emit({ kind: 'store-hit', reference: image, imageId: record.id });
        result = { record, origin: 'store', verified: undefined };
        break;
      }
      case 'file':
        result = await fetchFile(this.#context, source.path, signatureFile);
        break;
      case 'url':
        result = await fetchUrl(this.#context, {
          url: source.url,
          display: image,
          signature: signatureFile === undefined ? undefined : { kind: 'file', path: signatureFile },
        });
        break;
      case 'name':
        result = await fetchName(this.#context, source.app, image);
        break;
      case 'docker':
        result = await fetchDocker(this.#context, source.reference);
        break;
      case 'archive':
        result = await fetchArchive(this.#context, source.source);
        break;
    }
    if (this.#options.dependencies !== false) await this.#dependencies(result.record, 1);
    return result;
  }

  async #dependencies(record: ImageRecord, depth: number): Promise<void> {
    for (const dependency of record.manifest.dependencies) {
      if (depth > MAX_DEPENDENCY_DEPTH) {
        throw invalidArgument('ERR_DEPENDENCY_CYCLE', `the dependencies of ${record.name} nest deeper than ${MAX_DEPENDENCY_DEPTH} levels (a cycle?)`);
      }
      const found = await this.#dependency(record, dependency);
      await this.#dependencies(found, depth + 1);
    }
  }

  async #dependency(of: ImageRecord, dependency: Dependency): Promise<ImageRecord> {
    const { store } = this.#context;
    if (dependency.imageID !== undefined) {
      const byId = await store.get(dependency.imageID);
      if (byId !== undefined) return byId;
    }
    const request: ImageRequest = { name: dependency.imageName, labels: dependency.labels, defaults: [] };
    const stored = dependency.imageID === undefined ? findInStore(await store.list(), request) : undefined;
    if (stored !== undefined) return stored;
    if (this.#context.pullPolicy === 'never') throw notInStore(`${dependency.imageName} (a dependency of ${of.name})`);
    this.#context.emit({ kind: 'dependency', of: of.name, name: dependency.imageName });
    const fetched = await fetchRequest({ ...this.#context, pullPolicy: 'new' }, request, dependency.imageName);
    if (dependency.imageID !== undefined && fetched.record.id !== dependency.imageID) {
      throw invalidArgument('ERR_DEPENDENCY_MISMATCH', `dependency ${dependency.imageName} of ${of.name} was fetched as ${fetched.record.id}, but the manifest requires ${dependency.imageID}`);
    }
    return fetched.record;
  }
}
