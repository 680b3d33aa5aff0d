/**
 * @module pod/store/resolve — a user-typed UUID or unique prefix → the pod's UUID.
 *
 * rkt's rules (`pkg/pod/uuid.go`): case-insensitive; searched in the `prepare`, `prepared`,
 * `run` and `exited-garbage` directories only; and its three distinct messages, each with its
 * own code here: `UUID cannot be empty`, `no matches found for "X"`, `ambiguous uuid, N matches`.
 * Unlike rkt, dashes are optional (the bare 32-hex form matches too) and a prefix that cannot
 * be part of a UUID is refused as malformed instead of reported as "no matches".
 */
import { invalidArgument, notFound } from '../../util/index.js';
import type { PodStore } from './layout.js';
import { RESOLVABLE_DIRS } from './layout.js';
import { locatePods } from './locate.js';
import type { PodUuid } from './uuid.js';
import { bareUuid, parseUuidPrefix } from './uuid.js';

/**
 * Resolve `input` (a full UUID or any unique prefix) to the one pod it names.
 * Throws `ERR_POD_UUID_EMPTY`, `ERR_POD_UUID_INVALID`, `ERR_POD_NOT_FOUND` or `ERR_POD_UUID_AMBIGUOUS`.
 */
export async function resolvePodUuid(store: PodStore, input: string): Promise<PodUuid> {
  const prefix = parseUuidPrefix(input);
  const pods = await locatePods(store, RESOLVABLE_DIRS);
  const matches = pods.filter((pod) => bareUuid(pod.uuid).startsWith(prefix));
  const [first, ...rest] = matches;
  if (first === undefined) {
    throw notFound('ERR_POD_NOT_FOUND', `no matches found for "${input.toLowerCase()}"`, {
      hint: 'see "rocklet list" for the pods on this host',
    });
  }
  if (rest.length > 0) {
    throw invalidArgument('ERR_POD_UUID_AMBIGUOUS', `ambiguous uuid, ${matches.length} matches`, {
      hint: 'give more characters of the UUID',
    });
  }
  return first.uuid;
}
