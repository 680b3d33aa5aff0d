/**
 * @module fetch/pull-policy — when a fetch may use the store and when it must ask the remote
 * (rkt.md §5.5). `fetch` defaults to `update`, `run` and `prepare` to `new`; a local file is
 * always imported and an image ID always means the store, whatever the policy.
 */
import { usageError } from '../../util/index.js';

export const PULL_POLICIES = ['new', 'update', 'never'] as const;
/**
 * - `new`: an image already in the store (by name and labels, or fetched before from the same
 *   URL) wins; otherwise discover and download.
 * - `update`: always ask the remote (HTTP caching may still answer from the store).
 * - `never`: the store only; a miss is `ERR_IMAGE_NOT_IN_STORE`.
 */
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** The commands that fetch, each with rkt's default policy. */
export const PULL_POLICY_DEFAULTS = { fetch: 'update', run: 'new', prepare: 'new' } as const satisfies Record<string, PullPolicy>;
export type FetchingCommand = keyof typeof PULL_POLICY_DEFAULTS;

function isPullPolicy(value: string): value is PullPolicy {
  return (PULL_POLICIES as readonly string[]).includes(value);
}

/**
 * The policy for `command`: the `--pull-policy` value when given, else rkt's default for the
 * command. Throws `ERR_FLAG_VALUE` (a usage error) for an unknown value.
 */
export function resolvePullPolicy(flag: string | undefined, command: FetchingCommand): PullPolicy {
  if (flag === undefined) return PULL_POLICY_DEFAULTS[command];
  if (isPullPolicy(flag)) return flag;
  throw usageError('ERR_FLAG_VALUE', `invalid value "${flag}" for --pull-policy: expected one of ${PULL_POLICIES.join(', ')}`);
}
