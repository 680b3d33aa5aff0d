/**
 * @module registry/client — `RegistryClient`: pulls from one Docker registry v2 host (and its
 * mirrors, tried in order before the registry itself). It resolves a reference to a verified
 * image manifest and config (selecting a platform from an index) and downloads blobs into
 * files, at most `concurrency` at a time. It owns no store: callers say where blobs go.
 */
import type { DockerReference } from '../format/oci/docker-reference.js';
import { DOCKER_HUB_API_HOST, DOCKER_HUB_DOMAIN } from '../format/oci/docker-reference.js';
import type { FetchSettings } from '../fetch/settings.js';
import { failedPrecondition, invalidArgument } from '../../util/index.js';
import type { CredentialStore } from './auth-file.js';
import { AUTH_FILE_NAME, credentialKey } from './auth-file.js';
import type { BlobDownloadOptions, BlobObserver } from './blob-download.js';
import { downloadBlob } from './blob-download.js';
import { findChallenge, parseChallenges } from './challenge.js';
import { runLimited } from './concurrency.js';
import type { Descriptor, Platform } from './descriptor.js';
import type { Digest } from './digest.js';
import { RegistryEndpoint } from './endpoint.js';
import type { RegistryEventHandler } from './events.js';
import type { ImageConfig } from './image-config.js';
import { parseImageConfig } from './image-config.js';
import type { ImageManifest } from './manifest.js';
import type { FetchedManifest } from './manifest-fetch.js';
import { fetchManifest, fetchSmallBlob } from './manifest-fetch.js';
import { IMAGE_CONFIG_TYPES } from './media-types.js';
import { hostPlatform, selectPlatform } from './platform.js';
import { readErrorBody, statusError } from './registry-errors.js';

/** Default number of blobs downloaded at once. */
export const DEFAULT_BLOB_CONCURRENCY = 3;
/** Indexes may nest (image-index.md); deeper than this is refused. */
const MAX_INDEX_DEPTH = 4;

/** How to reach a registry. */
export interface RegistryClientOptions {
  /** The registry as references name it: `127.0.0.1:5000`, `registry.example.com`, `docker.io`. */
  readonly registry: string;
  readonly settings: FetchSettings;
  /** Allow plain HTTP and unverified TLS for this registry and its mirrors (default false). */
  readonly insecure?: boolean;
  /** `host[:port]` or `http(s)://host[:port]`, tried in order before the registry itself. */
  readonly mirrors?: readonly string[];
  /** Credentials by host (from {@link loadCredentials}); none: anonymous. */
  readonly credentials?: CredentialStore;
  /** Where the credentials came from, for messages (default `<config-dir>/auth.json`). */
  readonly credentialSource?: string;
  readonly onEvent?: RegistryEventHandler;
  /** Milliseconds since the epoch; tests move it to expire tokens. */
  readonly now?: () => number;
  /** Retries of 429/502/503/504 answers per request (default 3). */
  readonly retries?: number;
}

/** The answer of `GET /v2/`. */
export interface PingResult {
  /** The `Docker-Distribution-API-Version` header (`registry/2.0`), if sent. */
  readonly apiVersion: string | undefined;
  /** The auth scheme the registry asked for (`bearer`, `basic`), undefined when open. */
  readonly authScheme: string | undefined;
}

/** A reference resolved to one verified image. */
export interface ResolvedImage {
  /** The digests of the indexes walked through, outermost first. */
  readonly indexDigests: readonly Digest[];
  /** The image manifest's digest. */
  readonly digest: Digest;
  readonly manifest: ImageManifest;
  /** The image manifest exactly as served (it hashes to `digest`). */
  readonly manifestBytes: Buffer;
  readonly config: ImageConfig;
  readonly configBytes: Buffer;
}

/** Options of {@link RegistryClient.resolveImage}. */
export interface ResolveOptions {
  /** The platform to pick from an index (default: this host's). */
  readonly platform?: Platform;
  readonly signal?: AbortSignal;
}

/** One blob and the file it goes to. */
export interface BlobTarget {
  readonly descriptor: Descriptor;
  readonly dest: string;
  /** Gets every byte as it arrives (e.g. the layer's unpack). */
  readonly observer?: BlobObserver | undefined;
}

/** What to ask which registry for, from a parsed reference. */
export interface PullTarget {
  /** The registry as the reference names it (`docker.io`, `127.0.0.1:5000`): {@link RegistryClientOptions.registry}. */
  readonly registry: string;
  readonly repository: string;
  /** The digest when the reference has one (it wins over the tag), else the tag. */
  readonly reference: string;
}

/** `127.0.0.1:5000/team/app:1@sha256:…` → registry, repository and `sha256:…`. */
export function pullTarget(reference: DockerReference): PullTarget {
  return { registry: reference.domain, repository: reference.path, reference: reference.digest ?? reference.tag ?? 'latest' };
}

/** A pull client for one registry host. */
export class RegistryClient {
  readonly registry: string;
  /** Mirrors first, the registry last. */
  readonly endpoints: readonly RegistryEndpoint[];
  readonly #onEvent: RegistryEventHandler;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.#onEvent = options.onEvent ?? ((): void => undefined);
    const apiHost = options.registry === DOCKER_HUB_DOMAIN ? DOCKER_HUB_API_HOST : options.registry;
    const source = options.credentialSource ?? `<config-dir>/${AUTH_FILE_NAME}`;
    const endpoint = (location: string, host: string): RegistryEndpoint => new RegistryEndpoint({
      location,
      insecure: options.insecure ?? false,
      settings: options.settings,
      credentials: options.credentials?.get(credentialKey(host)),
      credentialSource: source,
      now: options.now ?? Date.now,
      ...(options.retries === undefined ? {} : { retries: options.retries }),
    });
    // A mirror's credentials are its own (looked up by its host), never the registry's.
    const mirrors = (options.mirrors ?? []).map((mirror) => endpoint(mirror, mirror));
    this.endpoints = [...mirrors, endpoint(apiHost, options.registry)];
  }

  /** Tries each endpoint in order; a failing mirror is reported and the next one tried. */
  async #first<T>(task: (endpoint: RegistryEndpoint) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    for (const [index, endpoint] of this.endpoints.entries()) {
      try {
        return await task(endpoint);
      } catch (error) {
        if (index === this.endpoints.length - 1 || signal?.aborted === true) throw error;
        const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'ERROR';
        this.#onEvent({ kind: 'mirror-failed', mirror: endpoint.name, code, message: error instanceof Error ? error.message : String(error) });
      }
    }
    throw new Error('RegistryClient: no endpoints'); // unreachable: the registry itself is always last
  }

  /** `GET /v2/` on the registry itself (not its mirrors). */
  async ping(signal?: AbortSignal): Promise<PingResult> {
    const endpoint = this.endpoints.at(-1) as RegistryEndpoint;
    const what = `registry ${endpoint.name}`;
    const response = await endpoint.get({ path: '/v2/', scope: undefined, headers: {}, what, signal });
    const apiVersion = response.headers['docker-distribution-api-version'];
    const challenges = parseChallenges(response.headers['www-authenticate']);
    if (response.status !== 200 && response.status !== 401) throw statusError(response.status, await readErrorBody(response), what, 'ping');
    response.close();
    const scheme = response.status === 401 ? (findChallenge(challenges, 'bearer') ?? findChallenge(challenges, 'basic') ?? challenges[0])?.scheme : undefined;
    return { apiVersion: typeof apiVersion === 'string' ? apiVersion : undefined, authScheme: scheme };
  }

  /**
   * `GET /v2/` on the registry itself, answering its challenge with the client's credentials
   * (Basic, or a token asked for without a scope): what `rocklet login` checks before it stores
   * them. Errors: `ERR_REGISTRY_UNAUTHORIZED` (refused), the endpoint's connection errors.
   */
  async checkLogin(signal?: AbortSignal): Promise<void> {
    const endpoint = this.endpoints.at(-1) as RegistryEndpoint;
    const what = `login to ${endpoint.name}`;
    const response = await endpoint.get({ path: '/v2/', scope: '', headers: {}, what, signal });
    if (response.status !== 200) throw statusError(response.status, await readErrorBody(response), what, 'ping');
    response.close();
  }

  /** Fetches and verifies manifest `reference` (a tag or `sha256:…`) of `repository`. */
  async getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const fetched = await this.#first((endpoint) => fetchManifest(endpoint, repository, reference, signal), signal);
    this.#onEvent({ kind: 'manifest', reference: `${this.registry}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`, digest: fetched.digest, mediaType: fetched.mediaType });
    return fetched;
  }

  /**
   * Resolves `reference` (tag or digest) of `repository` to one image: walks indexes by
   * platform, verifies every manifest, fetches and decodes the config.
   * Errors: those of {@link getManifest}, `ERR_REGISTRY_NO_MATCHING_PLATFORM`,
   * `ERR_REGISTRY_NOT_AN_IMAGE`, `ERR_REGISTRY_CONFIG_INVALID`, `ERR_REGISTRY_BLOB_DIGEST`.
   */
  async resolveImage(repository: string, reference: string, options: ResolveOptions = {}): Promise<ResolvedImage> {
    const platform = options.platform ?? hostPlatform();
    const indexDigests: Digest[] = [];
    let fetched = await this.getManifest(repository, reference, options.signal);
    while (fetched.manifest.kind === 'index') {
      if (indexDigests.length >= MAX_INDEX_DEPTH) {
        throw invalidArgument('ERR_REGISTRY_MANIFEST_INVALID', `${this.registry}/${repository}@${fetched.digest}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
      }
      indexDigests.push(fetched.digest);
      const chosen = selectPlatform(fetched.manifest, platform, `${this.registry}/${repository}@${fetched.digest}`);
      fetched = await this.getManifest(repository, chosen.digest, options.signal);
    }
    const manifest = fetched.manifest;
    const where = `${this.registry}/${repository}@${fetched.digest}`;
    if (!IMAGE_CONFIG_TYPES.includes(manifest.config.mediaType)) {
      throw failedPrecondition('ERR_REGISTRY_NOT_AN_IMAGE', `${where} is not a container image (its config is ${manifest.config.mediaType})`, {
        hint: 'this is an artifact (e.g. a signature or an SBOM), not something rocklet can run',
      });
    }
    const configBytes = await this.#first((endpoint) => fetchSmallBlob(endpoint, repository, manifest.config, options.signal), options.signal);
    const config = parseImageConfig(configBytes, `the image config ${manifest.config.digest} of ${where}`);
    return { indexDigests, digest: fetched.digest, manifest, manifestBytes: fetched.bytes, config, configBytes };
  }

  /** Downloads one blob into `dest` (see blob-download.ts for the partial file and resume). */
  async fetchBlob(repository: string, target: BlobTarget, options: BlobDownloadOptions = {}): Promise<void> {
    const onEvent = options.onEvent ?? this.#onEvent;
    const observer = target.observer ?? options.observer;
    await this.#first((endpoint) => downloadBlob(endpoint, repository, target.descriptor, target.dest, { ...options, onEvent, observer }), options.signal);
  }

  /**
   * Downloads blobs, `concurrency` at a time (default 3). The first failure stops the others
   * (their partial files stay, for a resumed pull) and is thrown.
   */
  async fetchBlobs(repository: string, targets: readonly BlobTarget[], options: BlobDownloadOptions & { readonly concurrency?: number } = {}): Promise<void> {
    const unique = [...new Map(targets.map((target) => [target.dest, target])).values()];
    await runLimited(unique, options.concurrency ?? DEFAULT_BLOB_CONCURRENCY, (target, signal) => this.fetchBlob(repository, target, { ...options, signal }), options.signal);
  }
}
