/**
 * @module pod/runtime/seccomp-profiles — the seccomp `Localhost` profiles a pod names, read from
 * `<config-dir>/seccomp/<name>` (kubelet's `<root-dir>/seccomp/`) when the pod is prepared and
 * kept in its plan, so a restart runs the profile it started with. A missing or invalid profile
 * refuses the pod before anything is fetched or created.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PodSpec } from '../../podfile/index.js';
import { errnoCode, notFound } from '../../util/index.js';
import type { OciSeccomp } from '../stage1/oci-spec.js';
import { parseSeccompProfile } from '../stage1/seccomp-profile-file.js';

/** `<config-dir>/seccomp` */
export function seccompProfileDir(configDir: string): string {
  return path.join(configDir, 'seccomp');
}

/** Every Localhost profile of `spec`'s containers, by name. Throws ERR_SECCOMP_PROFILE_NOT_FOUND / ERR_SECCOMP_PROFILE_INVALID. */
export async function loadSeccompProfiles(configDir: string, spec: PodSpec): Promise<Map<string, OciSeccomp>> {
  const profiles = new Map<string, OciSeccomp>();
  for (const container of [...spec.initContainers, ...spec.containers]) {
    const policy = container.security.seccomp;
    if (policy.kind !== 'Localhost' || profiles.has(policy.profile)) continue;
    const file = path.join(seccompProfileDir(configDir), policy.profile);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' && errnoCode(error) !== 'ENOTDIR') throw error;
      throw notFound('ERR_SECCOMP_PROFILE_NOT_FOUND', `container "${container.name}": seccomp profile "${policy.profile}" not found: ${file} does not exist`, {
        hint: `put the profile (OCI seccomp JSON) at ${file}`,
      });
    }
    profiles.set(policy.profile, parseSeccompProfile(text, file));
  }
  return profiles;
}
