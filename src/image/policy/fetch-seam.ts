/**
 * @module image/policy/fetch-seam — the signature policy in the shape the fetch path calls
 * (`fetch/signature-policy.ts` on the layers branch: `precheck` before the registry is
 * contacted, `check` with the verified manifest before anything is stored, `{verification}`
 * for `image list`). Structurally typed, so this module does not import the fetch layer.
 *
 * - `--insecure-options=image`: everything is accepted, recorded as not verified.
 * - no policy.json: everything is refused (ERR_SIGNATURE_POLICY_MISSING, in precheck already).
 * - a policy: `precheck` refuses what a `reject` requirement of the image's scope refuses
 *   whatever its signatures (no network spent); `check` evaluates the whole scope.
 *
 * The digest that signatures name is the one the reference resolves to: for a multi-platform
 * image the outermost index (`skopeo copy --all --sign-by` signs that), which a caller passes
 * as `indexDigests` (ResolvedImage.indexDigests); `manifestDigest` otherwise.
 */
import type { InsecureOptions } from '../../util/index.js';
import { invalidArgument } from '../../util/index.js';
import type { DockerReference } from '../format/oci/docker-reference.js';
import { parseDockerReference } from '../format/oci/docker-reference.js';
import { RegistryClient } from '../registry/client.js';
import { describeAcceptance } from './acceptance.js';
import type { PolicyCheck } from './evaluate.js';
import { checkWithoutSignatures } from './evaluate.js';
import type { LoadPolicyOptions, SignaturePolicyState } from './load.js';
import { loadSignaturePolicy, noPolicyError } from './load.js';
import type { PullTransport } from './policy-types.js';

/** The verification text of an image accepted because checks were switched off (the seam's NOT_VERIFIED). */
export const NOT_VERIFIED_TEXT = 'not verified (--insecure-options=image)';

/** What the fetch path hands over (its SignatureCheckRequest, plus the index chain). */
export interface FetchSignatureRequest {
  readonly transport: PullTransport;
  /** The canonical reference (`docker.io/library/busybox:1.36`) or the archive's path. */
  readonly reference: string;
  readonly manifestDigest: string;
  /** The bytes of `manifestDigest`'s manifest. */
  readonly manifestBytes?: Buffer;
  /** The indexes walked through to reach the manifest, outermost first: signatures name the first. */
  readonly indexDigests?: readonly string[];
  /** A RegistryClient for the reference's registry (docker transport). */
  readonly client?: unknown;
  readonly signal?: AbortSignal | undefined;
}

/** The fetch path's ImageSignaturePolicy, implemented by the policy. */
export interface FetchSignaturePolicy {
  precheck(request: Pick<FetchSignatureRequest, 'transport' | 'reference'>): void;
  check(request: FetchSignatureRequest): Promise<{ readonly verification: string }>;
}

function dockerReference(reference: string): DockerReference {
  return parseDockerReference(reference);
}

function toPolicyCheck(request: FetchSignatureRequest): PolicyCheck {
  const outermost = request.indexDigests?.[0];
  const manifestDigest = outermost ?? request.manifestDigest;
  const bytes = outermost === undefined && request.manifestBytes !== undefined ? { manifestBytes: request.manifestBytes } : {};
  const signal = request.signal === undefined ? {} : { signal: request.signal };
  if (request.transport !== 'docker') return { transport: request.transport, reference: request.reference, manifestDigest, ...bytes, ...signal };
  if (request.client !== undefined && !(request.client instanceof RegistryClient)) {
    throw invalidArgument('ERR_POLICY_CLIENT', 'the signature policy needs a RegistryClient for the docker transport');
  }
  const client = request.client === undefined ? {} : { client: request.client };
  return { transport: 'docker', reference: dockerReference(request.reference), manifestDigest, ...bytes, ...client, ...signal };
}

/** The fetch path's policy for `state` (see the module header). */
export function createFetchSignaturePolicy(state: SignaturePolicyState, insecure: InsecureOptions): FetchSignaturePolicy {
  const what = (request: Pick<FetchSignatureRequest, 'transport' | 'reference'>): string => `${request.transport}://${request.reference}`;
  return {
    precheck(request): void {
      if (insecure.has('image')) return;
      if (state.state === 'none') throw noPolicyError(state.file, what(request));
      const digest = `sha256:${'0'.repeat(64)}`; // precheck decides without a manifest: only reject can refuse here
      checkWithoutSignatures(state.loaded, toPolicyCheck({ ...request, manifestDigest: digest }));
    },
    async check(request): Promise<{ verification: string }> {
      if (insecure.has('image')) return { verification: NOT_VERIFIED_TEXT };
      if (state.state === 'none') throw noPolicyError(state.file, what(request));
      return { verification: describeAcceptance(await state.policy.check(toPolicyCheck(request))) };
    },
  };
}

/** Loads the policy of `configDir` and adapts it; under `--insecure-options=image` a broken policy.json is not read. */
export async function loadFetchSignaturePolicy(configDir: string, insecure: InsecureOptions, options: LoadPolicyOptions = {}): Promise<FetchSignaturePolicy> {
  const state: SignaturePolicyState = insecure.has('image') ? { state: 'none', file: '' } : await loadSignaturePolicy(configDir, { insecure, ...options });
  return createFetchSignaturePolicy(state, insecure);
}

/**
 * The policy of `configDir`, read when an OCI/Docker image is first pulled: for callers that
 * build their fetcher synchronously (pod preparation) and may never pull such an image. Its
 * precheck loads the file, so a refused image still costs no network.
 */
export function lazyFetchSignaturePolicy(configDir: string, insecure: InsecureOptions, options: LoadPolicyOptions = {}): LazyFetchSignaturePolicy {
  let loading: Promise<FetchSignaturePolicy> | undefined;
  const policy = (): Promise<FetchSignaturePolicy> => (loading ??= loadFetchSignaturePolicy(configDir, insecure, options));
  return {
    async precheck(request): Promise<void> {
      (await policy()).precheck(request);
    },
    async check(request): Promise<{ verification: string }> {
      return (await policy()).check(request);
    },
  };
}

/** {@link lazyFetchSignaturePolicy}'s policy: its precheck is asynchronous (the fetch path awaits it). */
export interface LazyFetchSignaturePolicy {
  precheck(request: Pick<FetchSignatureRequest, 'transport' | 'reference'>): Promise<void>;
  check(request: FetchSignatureRequest): Promise<{ verification: string }>;
}
