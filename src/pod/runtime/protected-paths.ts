/**
 * @module pod/runtime/protected-paths — rocklet's own state as the hostPath guard
 * (podfile/host-path-guard.ts) sees it: the data dir, the run dir, the config dir (trusted
 * keys, signature policy), the pod directory; the default locations always, and the ones this
 * invocation uses where they differ.
 */
import path from 'node:path';
import type { ProtectedHostPath } from '../../podfile/index.js';
import { DEFAULT_PROTECTED_HOST_PATHS } from '../../podfile/index.js';

/** The directories this rocklet uses. */
export interface RockletStateDirs {
  readonly dataDir: string;
  readonly configDir: string;
  readonly runDir?: string;
  readonly podDir?: string;
}

/** Every protected path, defaults first, without duplicates. */
export function rockletStatePaths(dirs: RockletStateDirs): ProtectedHostPath[] {
  const own: ProtectedHostPath[] = [
    { path: dirs.dataDir, what: "rocklet's data directory" },
    { path: dirs.configDir, what: "rocklet's config directory (trusted keys, signature policy)" },
    ...(dirs.runDir === undefined ? [] : [{ path: dirs.runDir, what: "rocklet's runtime directory" }]),
    ...(dirs.podDir === undefined ? [] : [{ path: dirs.podDir, what: 'the pod directory' }]),
  ];
  const seen = new Set<string>();
  return [...DEFAULT_PROTECTED_HOST_PATHS, ...own.map((p) => ({ ...p, path: path.resolve(p.path) }))].filter((p) => !seen.has(p.path) && seen.add(p.path) !== undefined);
}
