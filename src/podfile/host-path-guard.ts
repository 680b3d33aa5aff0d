/**
 * @module podfile/host-path-guard — the one hostPath rule rocklet keeps (DESIGN.md §1.5): a
 * container may not get write access to rocklet's own state — its data dir, `/run/rocklet`, the
 * config dir (trusted keys, signature policy), the pod directory — nor to `/` itself. A hostPath
 * is refused when some container mounts it writable and its path (with the mount's subPath)
 * is one of those, lies inside one, or contains one (`/var` contains `/var/lib/rocklet`).
 * Read-only mounts of the same paths are allowed, and any other host path is (system pods need
 * them; `rocklet validate --print` shows what a pod mounts).
 */
import path from 'node:path';
import type { LocatedContainer } from './kube-container.js';
import type { LocatedHostPath } from './kube-volumes.js';
import type { ProtectedHostPath } from './scope.js';
import type { Scope } from './scope.js';

/** rocklet's own state at the default locations (used when the caller names none). */
export const DEFAULT_PROTECTED_HOST_PATHS: readonly ProtectedHostPath[] = [
  { path: '/var/lib/rocklet', what: "rocklet's data directory" },
  { path: '/run/rocklet', what: "rocklet's runtime directory" },
  { path: '/etc/rocklet', what: "rocklet's config directory (trusted keys, signature policy)" },
  { path: '/etc/pods', what: 'the pod directory' },
];

function within(child: string, parent: string): boolean {
  return parent === '/' || child === parent || child.startsWith(`${parent}/`);
}

/** The protected path `hostPath` would expose writable, if any (`/` itself first). */
export function protectedPathHit(hostPath: string, protectedPaths: readonly ProtectedHostPath[]): ProtectedHostPath | undefined {
  if (hostPath === '/') return { path: '/', what: "the host's root directory" };
  return protectedPaths.find((p) => within(hostPath, p.path) || within(p.path, hostPath));
}

/** Reports every hostPath volume some container mounts writable onto rocklet's own state. */
export function checkWritableHostPaths(scope: Scope, hostPaths: ReadonlyMap<string, LocatedHostPath>, containers: readonly LocatedContainer[]): void {
  const protectedPaths = scope.options.protectedHostPaths ?? DEFAULT_PROTECTED_HOST_PATHS;
  const reported = new Set<string>();
  for (const container of containers) {
    for (const mount of container.spec?.volumeMounts ?? []) {
      const volume = hostPaths.get(mount.name);
      if (volume === undefined || mount.readOnly) continue;
      const effective = mount.subPath === undefined ? volume.path : path.posix.join(volume.path, mount.subPath);
      const hit = protectedPathHit(effective, protectedPaths);
      const key = `${mount.name}\0${effective}`;
      if (hit === undefined || reported.has(key)) continue;
      reported.add(key);
      const onto = hit.path === effective ? '' : ` (${hit.path})`;
      scope.sink.error(
        volume.pos,
        volume.at,
        `hostPath ${effective} would give ${container.path} write access to ${hit.what}${onto}: mount it with readOnly: true, or choose another path`,
      );
    }
  }
}
