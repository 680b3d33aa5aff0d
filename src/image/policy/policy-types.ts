/**
 * @module image/policy/policy-types — policy.json (containers-policy.json(5)) as typed values:
 * what the parser produces and the evaluator consumes. Every value remembers where in the
 * file it came from (`at`), so later problems (an unreadable key file) still name the key.
 */
import type { OciTransport } from '../fetch/signature-policy.js';
import { OCI_TRANSPORTS } from '../fetch/signature-policy.js';
import type { IdentityRule } from './identity.js';

/** Transports whose scopes rocklet reads. Images only arrive through the first four. */
/** The transports rocklet pulls from: the fetch path's own list. */
export const PULL_TRANSPORTS = OCI_TRANSPORTS;
export type PullTransport = OciTransport;
/** Transports containers/image knows that rocklet never pulls from: accepted in the file, refused when asked. */
export const FOREIGN_TRANSPORTS = ['docker-daemon', 'containers-storage', 'atomic', 'dir', 'ostree', 'sif', 'tarball'] as const;
export type ForeignTransport = (typeof FOREIGN_TRANSPORTS)[number];
export type PolicyTransport = PullTransport | ForeignTransport;

/** Where a key comes from: a file (read when the policy is loaded) or inline data. */
export type KeySpec =
  | { readonly source: 'path'; readonly path: string; readonly at: string }
  | { readonly source: 'data'; readonly data: Buffer; readonly at: string };

export type Requirement =
  | { readonly type: 'insecureAcceptAnything'; readonly at: string }
  | { readonly type: 'reject'; readonly at: string }
  | { readonly type: 'signedBy'; readonly at: string; readonly keys: readonly KeySpec[]; readonly signedIdentity: IdentityRule }
  | { readonly type: 'sigstoreSigned'; readonly at: string; readonly keys: readonly KeySpec[]; readonly signedIdentity: IdentityRule };

export type RequirementType = Requirement['type'];

/** The requirements of one scope; all must be satisfied. Never empty. */
export interface ScopeRequirements {
  /** The scope as written (`''` is the transport's default). */
  readonly scope: string;
  /** JSON path of the list, e.g. `transports.docker["quay.io"]`. */
  readonly at: string;
  readonly requirements: readonly Requirement[];
}

/** A parsed policy.json. */
export interface Policy {
  /** The file it was read from, for messages. */
  readonly file: string;
  readonly default: ScopeRequirements;
  /** Per transport, its scopes in file order. */
  readonly transports: ReadonlyMap<PolicyTransport, readonly ScopeRequirements[]>;
}
