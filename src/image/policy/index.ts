/**
 * @module image/policy — the signature policy for Docker/OCI images (issue 13, part 4):
 * `<config-dir>/policy.json` in containers-policy.json(5)'s format and
 * `<config-dir>/registries.d/*.yaml` (containers-registries.d(5)), evaluated as
 * containers/image does: `insecureAcceptAnything`, `reject`, `signedBy` (GPG simple signing
 * read from a lookaside) and `sigstoreSigned` with public keys (cosign signatures attached to
 * the registry), with the `signedIdentity` rules. Offers the fetch path's policy
 * (`loadFetchSignaturePolicy` → `precheck`/`check`, fetch-seam.ts), the loader and evaluator
 * under it (`loadSignaturePolicy`, `evaluatePolicy`), the pure parsers, and the edits
 * `rocklet trust` makes. Invariant: an image is accepted only when every requirement of its
 * scope is satisfied; a policy file with an error is refused whole, naming file and key.
 */
export type { IdentityRule, IdentityRuleName } from './identity.js';
export { DEFAULT_IDENTITY_RULE, IDENTITY_RULES, identityMatches, remapReference } from './identity.js';
export type { KeySpec, Policy, PolicyTransport, PullTransport, Requirement, RequirementType, ScopeRequirements } from './policy-types.js';
export { FOREIGN_TRANSPORTS, PULL_TRANSPORTS } from './policy-types.js';
export { parsePolicy } from './policy-parse.js';
export type { GpgPolicyKey, PolicyKeys, SigstorePolicyKey } from './policy-keys.js';
export { loadPolicyKeys, parsePemPublicKeys, sigstoreKeyFingerprint } from './policy-keys.js';
export type { RegistriesConfig, ResolvedStorage, SignatureStorage } from './registries-d.js';
export { REGISTRIES_D_DIR, loadRegistriesConfig, parseRegistriesFile, storageFor } from './registries-d.js';
export { dockerScopeProblem, dockerScopesOf, policyIdentity, repositoryName } from './scope.js';
export type { SignaturePayload } from './payload.js';
export { COSIGN_SIGNATURE_TYPE, SIMPLE_SIGNING_TYPE, parseSignaturePayload } from './payload.js';
export { lookasideUrl, readLookasideSignatures } from './lookaside.js';
export { COSIGN_PAYLOAD_MEDIA_TYPE, COSIGN_SIGNATURE_ANNOTATION, sigstoreTag } from './sigstore.js';
export type { DockerPolicyCheck, LoadedPolicy, LocalPolicyCheck, PolicyAcceptance, PolicyCheck, VerifiedRequirement } from './evaluate.js';
export { checkWithoutSignatures, evaluatePolicy, requirementsFor } from './evaluate.js';
export type { LoadPolicyOptions, PolicyEvaluator, SignaturePolicyState } from './load.js';
export { POLICY_FILE_NAME, loadSignaturePolicy, noPolicyError } from './load.js';
export type { PolicyEntry, PolicyEntryResult, TrustType } from './edit.js';
export { POLICY_KEYS_DIR, TRUST_TYPES, lookasideFileFor, setLookaside, setPolicyEntry } from './edit.js';
export { describeAcceptance } from './acceptance.js';
export type { FetchSignaturePolicy, FetchSignatureRequest } from './fetch-seam.js';
export { NOT_VERIFIED_TEXT, createFetchSignaturePolicy, lazyFetchSignaturePolicy, loadFetchSignaturePolicy } from './fetch-seam.js';
