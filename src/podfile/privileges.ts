/**
 * @module podfile/privileges — the privileges a pod asks for, as short words for `rocklet pods
 * --wide` (its PRIVILEGES column): what an operator should notice before a pod runs. Pure.
 */
import type { PodSpec } from './types.js';

/** e.g. `privileged(priv)`, `hostPID`, `priority(system-node-critical)`, `seccomp=Localhost(p.json)(main)`, `hostPath-rw(/srv)`. */
export function podPrivileges(spec: PodSpec): string[] {
  const words: string[] = [];
  const containers = [...spec.initContainers, ...spec.containers];
  const privileged = containers.filter((c) => c.security.privileged === true).map((c) => c.name);
  if (privileged.length > 0) words.push(`privileged(${privileged.join(',')})`);
  if (spec.hostNetwork) words.push('hostNetwork');
  if (spec.hostPID === true) words.push('hostPID');
  if (spec.hostIPC === true) words.push('hostIPC');
  if (spec.priorityClassName !== undefined) words.push(`priority(${spec.priorityClassName})`);
  for (const c of containers) {
    const { seccomp } = c.security;
    if (c.security.privileged === true) continue;
    if (seccomp.kind === 'Unconfined') words.push(`seccomp=Unconfined(${c.name})`);
    if (seccomp.kind === 'Localhost') words.push(`seccomp=Localhost(${seccomp.profile})(${c.name})`);
  }
  const writable = new Set(containers.flatMap((c) => c.volumeMounts.filter((m) => !m.readOnly).map((m) => m.name as string)));
  for (const volume of spec.volumes) {
    if (volume.source.kind === 'hostPath' && writable.has(volume.name)) words.push(`hostPath-rw(${volume.source.path})`);
  }
  if (spec.fsGroup !== undefined) words.push(`fsGroup(${spec.fsGroup})`);
  return words;
}
