/**
 * @module image/policy/acceptance — what the policy verified, as one line for `image list`,
 * `--debug` and logs: `signedBy key 0c26c9ee… as registry.example.com/team/app:1
 * (policy.json transports.docker["registry.example.com/team"])`.
 */
import type { PolicyAcceptance, VerifiedRequirement } from './evaluate.js';

function describeRequirement(verified: VerifiedRequirement): string {
  if (verified.kind === 'insecureAcceptAnything') return 'accepted without signature (insecureAcceptAnything)';
  return `${verified.kind} key ${verified.keyFingerprint} as ${verified.identity}`;
}

/** One line saying what was verified and which entry of which file asked for it. */
export function describeAcceptance(acceptance: PolicyAcceptance): string {
  return `${acceptance.verified.map(describeRequirement).join(' and ')} (${acceptance.file} ${acceptance.at})`;
}
