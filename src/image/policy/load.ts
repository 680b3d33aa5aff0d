/**
 * @module image/policy/load — {@link loadSignaturePolicy} reads `<config-dir>/policy.json`, the
 * keys it names and `<config-dir>/registries.d/` once, and hands out a {@link PolicyEvaluator}
 * whose `check` runs before anything is stored (fetch.ts adapts it to the fetch path's seam).
 * A missing policy.json is not an error here but the state `none`: the caller decides (refuse
 * with {@link noPolicyError}, or accept under `--insecure-options=image`).
 */
import path from 'node:path';
import { readTextIfExists, verificationFailed } from '../../util/index.js';
import type { InsecureOptions } from '../../util/index.js';
import { loadFetchSettings } from '../fetch/settings.js';
import type { LoadedPolicy, PolicyAcceptance, PolicyCheck } from './evaluate.js';
import { evaluatePolicy } from './evaluate.js';
import { parsePolicy } from './policy-parse.js';
import { loadPolicyKeys } from './policy-keys.js';
import { loadRegistriesConfig } from './registries-d.js';

export const POLICY_FILE_NAME = 'policy.json';

/** A loaded policy, asked about one image at a time. */
export interface PolicyEvaluator {
  /** The policy.json it was loaded from. */
  readonly file: string;
  /** Resolves with what was verified, or throws why the image is refused (see evaluate.ts). */
  check(check: PolicyCheck): Promise<PolicyAcceptance>;
}

/** The outcome of loading: a policy, or none (no policy.json). */
export type SignaturePolicyState =
  | { readonly state: 'configured'; readonly policy: PolicyEvaluator; readonly loaded: LoadedPolicy }
  | { readonly state: 'none'; readonly file: string };

/** Options of {@link loadSignaturePolicy}. */
export interface LoadPolicyOptions {
  /** Extra CA for https lookasides (default: `tls.caFile` of config.yaml). */
  readonly caFile?: string | undefined;
  readonly insecure?: InsecureOptions;
  readonly signal?: AbortSignal;
}

/**
 * Loads the signature policy of `configDir`. Throws ERR_POLICY_INVALID / ERR_POLICY_UNSUPPORTED
 * (policy.json or a key it names, with the JSON path) and ERR_REGISTRIES_D_INVALID.
 */
export async function loadSignaturePolicy(configDir: string, options: LoadPolicyOptions = {}): Promise<SignaturePolicyState> {
  const file = path.join(configDir, POLICY_FILE_NAME);
  const text = await readTextIfExists(file);
  if (text === undefined) return { state: 'none', file };
  const policy = parsePolicy(text, file);
  const [keys, registries, settings] = await Promise.all([
    loadPolicyKeys(policy),
    loadRegistriesConfig(configDir),
    loadFetchSettings(configDir, { caFile: options.caFile }),
  ]);
  const loaded: LoadedPolicy = { policy, keys, registries, http: { settings, insecure: options.insecure ?? new Set(), signal: options.signal } };
  return { state: 'configured', loaded, policy: { file, check: (check) => evaluatePolicy(loaded, check) } };
}

/** ERR_SIGNATURE_POLICY_MISSING (the fetch seam's code), for callers that refuse to pull without a policy. */
export function noPolicyError(file: string, image?: string): Error {
  return verificationFailed('ERR_SIGNATURE_POLICY_MISSING', `${image === undefined ? '' : `${image}: `}there is no signature policy (${file}), and unverified images are refused`, {
    hint: 'install.sh writes a default one; or create it with rocklet trust --type=signedBy|sigstoreSigned|accept|reject --scope=REGISTRY …; or skip the check with --insecure-options=image (pod files: the annotation rocklet.io/insecure-options: image)',
  });
}
