/**
 * @module image/policy/identity — the `signedIdentity` rules of containers-policy.json(5):
 * whether the identity a signature claims (`critical.identity.docker-reference`) is acceptable
 * for the image being pulled. Pure: no I/O.
 *
 * - `matchRepoDigestOrExact` (the default): pulled by digest, the signed repository must be the
 *   image's; pulled by tag, the signed reference must be exactly the image's `repo:tag`.
 * - `matchRepository`: the repositories are the same (any tag or digest).
 * - `matchExact`: the same `repo:tag` or `repo@digest`; a name without either never matches.
 * - `exactReference`: the signature names exactly this reference, whatever was pulled.
 * - `exactRepository`: the signature names this repository, whatever was pulled.
 * - `remapIdentity`: an image under `prefix` is checked as if it were under `signedPrefix`
 *   (a mirror serving signed images of another registry), then as matchRepoDigestOrExact.
 */
import type { DockerReference } from '../format/oci/docker-reference.js';
import { parseDockerReference } from '../format/oci/docker-reference.js';
import { policyIdentity, repositoryName } from './scope.js';

export const IDENTITY_RULES = ['matchRepoDigestOrExact', 'matchRepository', 'matchExact', 'exactReference', 'exactRepository', 'remapIdentity'] as const;
export type IdentityRuleName = (typeof IDENTITY_RULES)[number];

/** A parsed `signedIdentity`. */
export type IdentityRule =
  | { readonly type: 'matchRepoDigestOrExact' }
  | { readonly type: 'matchRepository' }
  | { readonly type: 'matchExact' }
  | { readonly type: 'exactReference'; readonly dockerReference: DockerReference }
  | { readonly type: 'exactRepository'; readonly dockerRepository: string }
  | { readonly type: 'remapIdentity'; readonly prefix: string; readonly signedPrefix: string };

export const DEFAULT_IDENTITY_RULE: IdentityRule = { type: 'matchRepoDigestOrExact' };

/** The full string of a reference for exact comparisons: `name:tag`, `name@digest` or both. */
function fullString(reference: DockerReference): string {
  return reference.canonical;
}

function matchRepoDigestOrExact(image: DockerReference, signed: DockerReference): boolean {
  if (image.digest !== undefined) return repositoryName(signed) === repositoryName(image);
  return policyIdentity(signed) === policyIdentity(image) && signed.digest === undefined;
}

/** True when `name` is `prefix` or lies below it on a `/` boundary (containers/image's refMatchesPrefix). */
export function nameHasPrefix(name: string, prefix: string): boolean {
  return name === prefix || (name.startsWith(prefix) && name[prefix.length] === '/');
}

/** `image` with `prefix` of its name replaced by `signedPrefix`; undefined when the prefix does not apply. */
export function remapReference(image: DockerReference, prefix: string, signedPrefix: string): DockerReference | undefined {
  const name = repositoryName(image);
  if (!nameHasPrefix(name, prefix)) return undefined;
  const suffix = image.canonical.slice(name.length);
  try {
    return parseDockerReference(`${signedPrefix}${name.slice(prefix.length)}${suffix}`);
  } catch {
    return undefined; // the rewritten name is not valid (too long): the image is checked as it is
  }
}

/** Whether a signature claiming `signed` is acceptable for `image` under `rule`. */
export function identityMatches(rule: IdentityRule, image: DockerReference, signed: DockerReference): boolean {
  switch (rule.type) {
    case 'matchRepoDigestOrExact':
      return matchRepoDigestOrExact(image, signed);
    case 'matchRepository':
      return repositoryName(signed) === repositoryName(image);
    case 'matchExact':
      return fullString(signed) === fullString(image);
    case 'exactReference':
      return fullString(signed) === fullString(rule.dockerReference);
    case 'exactRepository':
      return repositoryName(signed) === rule.dockerRepository;
    case 'remapIdentity':
      return matchRepoDigestOrExact(remapReference(image, rule.prefix, rule.signedPrefix) ?? image, signed);
  }
}

/** What a rule expects, for messages: `127.0.0.1:5000/team/app:1 (matchRepoDigestOrExact)`. */
export function describeExpectation(rule: IdentityRule, image: DockerReference): string {
  switch (rule.type) {
    case 'matchRepoDigestOrExact':
      return image.digest === undefined ? `exactly ${policyIdentity(image)}` : `repository ${repositoryName(image)}`;
    case 'matchRepository':
      return `repository ${repositoryName(image)}`;
    case 'matchExact':
      return `exactly ${fullString(image)}`;
    case 'exactReference':
      return `exactly ${fullString(rule.dockerReference)} (exactReference)`;
    case 'exactRepository':
      return `repository ${rule.dockerRepository} (exactRepository)`;
    case 'remapIdentity': {
      const remapped = remapReference(image, rule.prefix, rule.signedPrefix);
      if (remapped === undefined) return describeExpectation(DEFAULT_IDENTITY_RULE, image);
      return `${describeExpectation(DEFAULT_IDENTITY_RULE, remapped)} (remapIdentity ${rule.prefix} → ${rule.signedPrefix})`;
    }
  }
}
