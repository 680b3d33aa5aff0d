/**
 * @module podfile/kube-security — pod and container `securityContext`. Pod-level values are
 * defaults folded into each container (container values win), so the runtime reads one
 * ContainerSecurity. Capabilities become the effective set; seccomp defaults to
 * RuntimeDefault (rkt's and kubelet `--seccomp-default` behaviour); sysctls must be
 * namespaced, and `net.*` is refused with hostNetwork (it would change the host).
 */
import { LINUX_CAPABILITIES, isSysctlName, notNamespacedSysctl, sysctlNamespace } from '../image/index.js';
import { capabilityName, effectiveCapabilities } from './capabilities.js';
import { didYouMean } from './diagnostics.js';
import { CAPABILITIES_SHAPE, CONTAINER_SECURITY_SHAPE, POD_SECURITY_SHAPE, SECCOMP_SHAPE, SYSCTL_SHAPE } from './kube-shapes.js';
import { POD_LIMITS } from './limits.js';
import type { PodNode } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readBoolean, readEnum, readInteger, readList, readObject, readString, readStringList, required } from './reader.js';
import type { Scope } from './scope.js';
import type { CapabilityName, ContainerSecurity, SeccompPolicy, Sysctl } from './types.js';

/** Pod-level values every container inherits unless it sets its own. */
export interface PodSecurityDefaults {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly supplementalGroups: readonly number[];
  readonly seccomp?: SeccompPolicy;
  readonly oomScoreAdj?: number;
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
  if (type === 'Localhost') {
    scope.sink.error(typeNode.pos, fields.at('type'), 'seccomp type Localhost is not supported by rocklet v1: use RuntimeDefault or Unconfined');
    return undefined;
  }
  const profile = fields.get('localhostProfile');
  if (profile !== undefined) scope.sink.error(profile.pos, fields.at('localhostProfile'), 'only allowed with type Localhost');
  return type === undefined ? undefined : { kind: type };
}

function readSysctls(scope: Scope, node: PodNode | undefined, path: string, hostNetwork: boolean): Sysctl[] {
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
    } else if (hostNetwork && name.startsWith('net.')) {
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
  hostNetwork: boolean,
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
  return {
    defaults: {
      supplementalGroups,
      ...(runAsUser === undefined ? {} : { runAsUser }),
      ...(runAsGroup === undefined ? {} : { runAsGroup }),
      ...(runAsNonRoot === undefined ? {} : { runAsNonRoot }),
      ...(seccomp === undefined ? {} : { seccomp }),
    },
    sysctls: readSysctls(scope, fields.get('sysctls'), fields.at('sysctls'), hostNetwork),
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
  const seccomp = (fields === undefined ? undefined : readSeccomp(scope, fields.get('seccompProfile'), fields.at('seccompProfile'))) ?? defaults.seccomp;
  const at = fields?.node.pos ?? { line: 0, column: 0 };
  if (runAsNonRoot && runAsUser === 0) scope.sink.error(at, `${path}.runAsNonRoot`, 'runAsNonRoot is true but runAsUser is 0 (root)');
  if (escalation === false && capabilities.added.includes('CAP_SYS_ADMIN' as CapabilityName)) {
    scope.sink.error(at, `${path}.allowPrivilegeEscalation`, 'cannot be false while capabilities.add includes SYS_ADMIN (as Kubernetes)');
  }
  return {
    ...(runAsUser === undefined ? {} : { user: { kind: 'id', id: runAsUser } }),
    ...(runAsGroup === undefined ? {} : { group: { kind: 'id', id: runAsGroup } }),
    supplementalGroups: defaults.supplementalGroups,
    runAsNonRoot,
    readOnlyRootFilesystem: readOnly ?? false,
    noNewPrivileges: escalation === false,
    capabilities: capabilities.set,
    seccomp: seccomp ?? { kind: 'RuntimeDefault' },
    ...(defaults.oomScoreAdj === undefined ? {} : { oomScoreAdj: defaults.oomScoreAdj }),
  };
}
