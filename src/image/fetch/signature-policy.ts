/**
 * @module fetch/signature-policy — the one seam between fetching OCI/Docker images and checking
 * their signatures. A fetcher calls {@link ImageSignaturePolicy.check} with the verified
 * manifest before anything is stored; a refusal throws and the store stays unchanged.
 *
 * Until the containers-policy.json evaluator lands (issue 13, part 4), the policy is
 * {@link createDefaultSignaturePolicy}: secure by default, so an OCI/Docker image is refused
 * unless signature checks were switched off (`--insecure-options=image`, a pod's insecure
 * annotation, or config), and what was (not) verified is recorded with the image.
 */
import type { InsecureOptions } from '../../util/index.js';
import { verificationFailed } from '../../util/index.js';

/** The transports OCI/Docker images come through. */
export const OCI_TRANSPORTS = ['docker', 'oci', 'oci-archive', 'docker-archive'] as const;
export type OciTransport = (typeof OCI_TRANSPORTS)[number];

/** What the policy decides on. */
export interface SignatureCheckRequest {
  readonly transport: OciTransport;
  /** The canonical reference (`docker.io/library/busybox:1.36`) or the archive's path. */
  readonly reference: string;
  /** `sha256:…`, verified against `manifestBytes`. */
  readonly manifestDigest: string;
  readonly manifestBytes: Buffer;
  /**
   * The indexes the reference resolved through to reach the manifest, outermost first
   * (docker transport): signatures of a multi-platform image name the outermost.
   */
  readonly indexDigests?: readonly string[];
  /**
   * The registry client (docker transport only), to fetch signatures attached to the registry
   * (cosign's `sha256-<digest>.sig`). Typed loosely so this seam does not fix its shape.
   */
  readonly client?: unknown;
  readonly signal?: AbortSignal | undefined;
}

/** An accepted image: how, in words, for `image list` (`signedBy 0x…`, `not verified: …`). */
export interface SignatureCheckResult {
  readonly verification: string;
}

/** Decides whether an image may enter the store. Throws a VerificationError to refuse. */
export interface ImageSignaturePolicy {
  /**
   * Called before the registry is contacted: a policy that refuses `reference` whatever its
   * manifest (`reject`, or no policy at all) throws here, so a refused pull costs no network.
   */
  precheck?(request: Pick<SignatureCheckRequest, 'transport' | 'reference'>): void | Promise<void>;
  check(request: SignatureCheckRequest): Promise<SignatureCheckResult>;
}

function policyMissing(what: string): Error {
  return verificationFailed('ERR_SIGNATURE_POLICY_MISSING', `${what}: no signature policy is configured for OCI/Docker images, and unverified images are refused`, {
    hint: 'to use it without a signature check, pass --insecure-options=image (pod files: the annotation rocklet.io/insecure-options: image)',
  });
}

/** The verification text of an image accepted because checks were switched off. */
export const NOT_VERIFIED = 'not verified (--insecure-options=image)';

/**
 * The policy while no policy.json evaluator exists: accept only with signature checks switched
 * off, else `ERR_SIGNATURE_POLICY_MISSING`, which says how to opt out.
 */
export function createDefaultSignaturePolicy(insecure: InsecureOptions): ImageSignaturePolicy {
  return {
    precheck(request): void {
      if (!insecure.has('image')) throw policyMissing(`${request.transport}://${request.reference}`);
    },
    check(request: SignatureCheckRequest): Promise<SignatureCheckResult> {
      if (insecure.has('image')) return Promise.resolve({ verification: NOT_VERIFIED });
      return Promise.reject(policyMissing(`${request.transport}://${request.reference}@${request.manifestDigest}`));
    },
  };
}
