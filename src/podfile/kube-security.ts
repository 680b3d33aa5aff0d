/**
 * @module podfile/kube-security — pod and container `securityContext`. Pod-level values are
 * defaults folded into each container (container values win), so the runtime reads one
 * ContainerSecurity. Capabilities become the effective set; seccomp defaults to
 * RuntimeDefault (rkt's and kubelet `--seccomp-default` behaviour); sysctls must be
 * namespaced, and `net.*` is refused with hostNetwork (it would change the host).
 */
import { LINUX_CAPABILITIES, isSysctlName, notNamespacedSysctl, sysctlNamespace } from '../image/index.js';
import { capabilityName, effectiveCapabilities, sortCapabilities } from './capabilities.js';
import { didYouMean } from './diagnostics.js';
import { CAPABILITIES_SHAPE, CONTAINER_SECURITY_SHAPE, POD_SECURITY_SHAPE, SECCOMP_SHAPE, SYSCTL_SHAPE } from './kube-shapes.js';
import { POD_LIMITS } from './limits.js';
import type { PodNode } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readBoolean, readEnum, readInteger, readList, readNonEmptyString, readObject, readString, readStringList, required } from './reader.js';
import type { Scope } from './scope.js';
import type { CapabilityName, ContainerSecurity, SeccompPolicy, Sysctl } from './types.js';

/** Which of the host's namespaces the pod shares (sysctls of those are refused). */
export interface HostNamespaces {
  readonly network: boolean;
  readonly ipc: boolean;
}

/** Pod-level values every container inherits unless it sets its own. */
export interface PodSecurityDefaults {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly supplementalGroups: readonly number[];
  readonly seccomp?: SeccompPolicy;
  readonly oomScoreAdj?: number;
  /** `fsGroup`: added to every container's supplementary groups (kubelet does the same). */
  readonly fsGroup?: number;
}

const ID_RANGE = { min: 0, max: POD_LIMITS.maxId };

function readId(scope: Scope, fields: Fields, key: string): number | undefined {
  const node = fields.get(key);
  return node === undefined ? undefined : readInteger(scope.sink, node, fields.at(key), ID_RANGE);
}

function readOptionalBoolean(scope: Scope, fields: Fields, key: string): boolean | undefined {
  const node = fields.get(key);
  return node === undefined ? undefined : readBoolean(scope.sink, node, fields.at(key));
}

function readSeccomp(scope: Scope, node: PodNode | undefined, path: string): SeccompPolicy | undefined {
  if (node === undefined) return undefined;
  const fields = readObject(scope.sink, node, path, SECCOMP_SHAPE);
  const typeNode = fields === undefined ? undefined : required(scope.sink, fields, 'type');
  if (fields === undefined || typeNode === undefined) return undefined;
  const type = readEnum(scope.sink, typeNode, fields.at('type'), ['RuntimeDefault', 'Unconfined', 'Localhost'] as const);
  if (type === 'Localhost') return readLocalhostProfile(scope, fields);
  const profile = fields.get('localhostProfile');
  if (profile !== undefined) scope.sink.error(profile.pos, fields.at('localhostProfile'), 'only allowed with type Localhost');
  return type === undefined ? undefined : { kind: type };
}

/** `type: Localhost`: `localhostProfile` names a file under `<config-dir>/seccomp/` (Kubernetes' rules: relative, no `..`). */
function readLocalhostProfile(scope: Scope, fields: Fields): SeccompPolicy | undefined {
  const node = required(scope.sink, fields, 'localhostProfile', 'required with type Localhost: name a profile file under <config-dir>/seccomp/');
  const profile = node === undefined ? undefined : readNonEmptyString(scope.sink, node, fields.at('localhostProfile'));
  if (profile === undefined || node === undefined) return undefined;
  if (profile.startsWith('/') || profile.split('/').some((part) => part === '..' || part === '.' || part === '') || profile.includes('\0')) {
    scope.sink.error(node.pos, fields.at('localhostProfile'), `"${profile}" must be a relative path under <config-dir>/seccomp/ without "..", "." or empty parts`);
    return undefined;
  }
  return { kind: 'Localhost', profile };
}

function readSysctls(scope: Scope, node: PodNode | undefined, path: string, host: HostNamespaces): Sysctl[] {
  const items = node === undefined ? [] : (readList(scope.sink, node, path, POD_LIMITS.sysctls) ?? []);
  const sysctls: Sysctl[] = [];
  items.forEach((item, index) => {
    const at = itemPath(path, index);
    const fields = readObject(scope.sink, item, at, SYSCTL_SHAPE);
    if (fields === undefined) return;
    const nameNode = required(scope.sink, fields, 'name');
    const valueNode = required(scope.sink, fields, 'value');
    const name = nameNode === undefined ? undefined : readString(scope.sink, nameNode, fields.at('name'));
    const value = valueNode === undefined ? undefined : readString(scope.sink, valueNode, fields.at('value'));
    if (name === undefined || value === undefined || nameNode === undefined) return;
    if (!isSysctlName(name)) scope.sink.error(nameNode.pos, fields.at('name'), `"${name}" is not a valid sysctl name`);
    else if (sysctlNamespace(name) === undefined) {
      scope.sink.error(nameNode.pos, fields.at('name'), notNamespacedSysctl(name));
    } else if (host.ipc && sysctlNamespace(name) === 'ipc') {
      scope.sink.error(nameNode.pos, fields.at('name'), `sysctl "${name}" would change the host's IPC settings (hostIPC is true)`);
    } else if (host.network && name.startsWith('net.')) {
      scope.sink.error(nameNode.pos, fields.at('name'), `sysctl "${name}" would change the host's network settings (hostNetwork is true)`);
    } else if (sysctls.some((sysctl) => sysctl.name === name)) scope.sink.error(nameNode.pos, fields.at('name'), `duplicate sysctl "${name}"`);
    sysctls.push({ name, value });
  });
  return sysctls;
}

/** Reads `spec.securityContext`. */
export function readPodSecurity(
  scope: Scope,
  node: PodNode | undefined,
  path: string,
  host: HostNamespaces,
): { defaults: Omit<PodSecurityDefaults, 'oomScoreAdj'>; sysctls: Sysctl[] } {
  const fields = node === undefined ? undefined : readObject(scope.sink, node, path, POD_SECURITY_SHAPE);
  if (fields === undefined) return { defaults: { supplementalGroups: [] }, sysctls: [] };
  const groupsNode = fields.get('supplementalGroups');
  const groups = groupsNode === undefined ? [] : (readList(scope.sink, groupsNode, fields.at('supplementalGroups'), POD_LIMITS.supplementalGroups) ?? []);
  const supplementalGroups = groups.map((item, index) => readInteger(scope.sink, item, itemPath(fields.at('supplementalGroups'), index), ID_RANGE) ?? 0);
  const runAsUser = readId(scope, fields, 'runAsUser');
  const runAsGroup = readId(scope, fields, 'runAsGroup');
  const runAsNonRoot = readOptionalBoolean(scope, fields, 'runAsNonRoot');
  const seccomp = readSeccomp(scope, fields.get('seccompProfile'), fields.at('seccompProfile'));
  const fsGroup = readId(scope, fields, 'fsGroup');
  return {
    defaults: {
      supplementalGroups,
      ...(fsGroup === undefined ? {} : { fsGroup }),
      ...(runAsUser === undefined ? {} : { runAsUser }),
      ...(runAsGroup === undefined ? {} : { runAsGroup }),
      ...(runAsNonRoot === undefined ? {} : { runAsNonRoot }),
      ...(seccomp === undefined ? {} : { seccomp }),
    },
    sysctls: readSysctls(scope, fields.get('sysctls'), fields.at('sysctls'), host),
  };
}

function readCapabilityList(scope: Scope, fields: Fields, key: 'add' | 'drop'): { names: CapabilityName[]; all: boolean } {
  const node = fields.get(key);
  const path = fields.at(key);
  const list = node === undefined ? [] : (readStringList(scope.sink, node, path, POD_LIMITS.capabilities) ?? []);
  const names: CapabilityName[] = [];
  let all = false;
  list.forEach((raw, index) => {
    const at = itemPath(path, index);
    const pos = node?.kind === 'seq' ? (node.items[index]?.pos ?? node.pos) : { line: 0, column: 0 };
    if (raw === 'ALL') {
      if (key === 'add') scope.sink.error(pos, at, 'add: [ALL] grants every capability (like privileged) and is not supported by rocklet v1');
      all = true;
      return;
    }
    if (raw.startsWith('CAP_')) {
      scope.sink.error(pos, at, `write capabilities without the CAP_ prefix: "${raw.slice(4)}"`);
      return;
    }
    const name = capabilityName(`CAP_${raw}`);
    if (name === undefined) {
      const known = LINUX_CAPABILITIES.map((cap) => cap.slice(4));
      scope.sink.error(pos, at, `unknown capability "${raw}"${didYouMean(raw, known)}`);
      return;
    }
    names.push(name);
  });
  return { names, all };
}

function readCapabilities(scope: Scope, node: PodNode | undefined, path: string): { set: CapabilityName[]; added: CapabilityName[] } {
  const fields = node === undefined ? undefined : readObject(scope.sink, node, path, CAPABILITIES_SHAPE);
  if (fields === undefined) return { set: effectiveCapabilities([], [], false), added: [] };
  const add = readCapabilityList(scope, fields, 'add');
  const drop = readCapabilityList(scope, fields, 'drop');
  return { set: effectiveCapabilities(add.names, drop.names, drop.all), added: add.names };
}

/** Reads a container's `securityContext` and folds in the pod defaults. */
export function readContainerSecurity(scope: Scope, node: PodNode | undefined, path: string, defaults: PodSecurityDefaults): ContainerSecurity {
  const fields = node === undefined ? undefined : readObject(scope.sink, node, path, CONTAINER_SECURITY_SHAPE);
  const runAsUser = (fields === undefined ? undefined : readId(scope, fields, 'runAsUser')) ?? defaults.runAsUser;
  const runAsGroup = (fields === undefined ? undefined : readId(scope, fields, 'runAsGroup')) ?? defaults.runAsGroup;
  const runAsNonRoot = (fields === undefined ? undefined : readOptionalBoolean(scope, fields, 'runAsNonRoot')) ?? defaults.runAsNonRoot ?? false;
  const readOnly = fields === undefined ? undefined : readOptionalBoolean(scope, fields, 'readOnlyRootFilesystem');
  const escalation = fields === undefined ? undefined : readOptionalBoolean(scope, fields, 'allowPrivilegeEscalation');
  const capabilities = readCapabilities(scope, fields?.get('capabilities'), `${path}.capabilities`);
  const ownSeccomp = fields === undefined ? undefined : readSeccomp(scope, fields.get('seccompProfile'), fields.at('seccompProfile'));
  const privileged = (fields === undefined ? undefined : readOptionalBoolean(scope, fields, 'privileged')) ?? false;
  // A privileged container runs without a filter unless it names one itself (containerd's rule).
  const seccomp = ownSeccomp ?? (privileged ? { kind: 'Unconfined' as const } : defaults.seccomp);
  const at = fields?.node.pos ?? { line: 0, column: 0 };
  if (privileged && escalation === false) {
    scope.sink.error(fields?.get('allowPrivilegeEscalation')?.pos ?? at, `${path}.allowPrivilegeEscalation`, 'cannot be false while privileged is true (as Kubernetes)');
  }
  const groups = defaults.fsGroup === undefined || defaults.supplementalGroups.includes(defaults.fsGroup)
    ? defaults.supplementalGroups
    : [...defaults.supplementalGroups, defaults.fsGroup];
  if (runAsNonRoot && runAsUser === 0) scope.sink.error(at, `${path}.runAsNonRoot`, 'runAsNonRoot is true but runAsUser is 0 (root)');
  if (escalation === false && capabilities.added.includes('CAP_SYS_ADMIN' as CapabilityName)) {
    scope.sink.error(at, `${path}.allowPrivilegeEscalation`, 'cannot be false while capabilities.add includes SYS_ADMIN (as Kubernetes)');
  }
  return {
    ...(runAsUser === undefined ? {} : { user: { kind: 'id', id: runAsUser } }),
    ...(runAsGroup === undefined ? {} : { group: { kind: 'id', id: runAsGroup } }),
    supplementalGroups: groups,
    runAsNonRoot,
    readOnlyRootFilesystem: readOnly ?? false,
    noNewPrivileges: escalation === false,
    // Every capability Linux has; the runtime keeps those the host's bounding set holds.
    capabilities: privileged ? sortCapabilities(LINUX_CAPABILITIES as readonly string[] as CapabilityName[]) : capabilities.set,
    seccomp: seccomp ?? { kind: 'RuntimeDefault' },
    ...(defaults.oomScoreAdj === undefined ? {} : { oomScoreAdj: defaults.oomScoreAdj }),
    ...(privileged ? { privileged: true as const } : {}),
  };
}
