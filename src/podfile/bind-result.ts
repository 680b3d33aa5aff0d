/**
 * @module podfile/bind-result — a parsed pod file bound to its ConfigMaps and Secrets (the
 * documents beside it, then the shared ones): the same result with the effective hash, or a
 * failure with one error per missing object or key (field path = where it is referenced). What
 * `rocklet validate` and `rocklet run --pod-file` report is then what the daemon decides.
 */
import type { ConfigLookup } from './config-refs.js';
import { bindPodConfig } from './config-refs.js';
import type { PodFileResult } from './pod-file.js';

export function bindPodFileResult(result: PodFileResult, shared: ConfigLookup): PodFileResult {
  if (!result.ok) return result;
  const bound = bindPodConfig(result.spec, result.hash, result.objects, shared);
  if (bound.ok) return bound.hash === result.hash ? result : { ...result, hash: bound.hash };
  const errors = bound.problems.map((problem) => {
    const colon = problem.indexOf(': ');
    return { file: result.file, line: 0, column: 0, path: problem.slice(0, colon), message: problem.slice(colon + 2), severity: 'error' as const };
  });
  return { ok: false, file: result.file, errors, warnings: result.warnings, identity: result.identity };
}
