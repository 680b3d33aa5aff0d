/**
 * @module isolators — appc isolators and their value schemas (formats.md §1.5, §1.8 #35–#48).
 *
 * Stricter than appc's Go code where the spec says so: capability names and seccomp errnos are
 * checked against real tables, retain/remove sets may not be combined, cpu/memory `request`
 * may not exceed `limit`, negative quantities are refused, unknown isolators are errors, and
 * `os/unix/sysctl` is pod-level only (never in an image).
 */
import { constants as osConstants } from 'node:os';
import type { ACIdentifier } from './ac-types.js';
import { checkACIdentifier } from './ac-types.js';
import type { Problems } from './problems.js';
import { checkKeys, checkUnique, child, item, readArray, readBoolean, readInteger, readObject, readString } from './problems.js';
import { parseQuantity } from './quantity.js';

export const ISOLATOR_NAMES = [
  'resource/cpu',
  'resource/memory',
  'resource/block-bandwidth',
  'resource/block-iops',
  'resource/network-bandwidth',
  'os/linux/capabilities-retain-set',
  'os/linux/capabilities-remove-set',
  'os/linux/no-new-privileges',
  'os/linux/seccomp-remove-set',
  'os/linux/seccomp-retain-set',
  'os/linux/oom-score-adj',
  'os/linux/cpu-shares',
  'os/linux/selinux-context',
  'os/linux/apparmor-profile',
  'os/unix/sysctl',
] as const;
export type IsolatorName = (typeof ISOLATOR_NAMES)[number];

/** A sysctl name as Kubernetes accepts it: dot- (or slash-) separated lower-case segments. */
const SYSCTL_NAME = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;
const IPC_SYSCTL = /^(kernel\.shm|kernel\.msg|kernel\.sem$|fs\.mqueue\.)/;

/** True for a well-formed sysctl name (at most 253 characters). */
export function isSysctlName(name: string): boolean {
  return name.length <= 253 && SYSCTL_NAME.test(name);
}

/**
 * The kernel namespace a sysctl belongs to (`network` for net.*, `ipc` for kernel.shm*,
 * kernel.msg*, kernel.sem and fs.mqueue.*), or undefined when it is not namespaced: setting
 * it from a pod would change the host (appc's os/unix/sysctl and Kubernetes allow only these).
 */
export function sysctlNamespace(name: string): 'network' | 'ipc' | undefined {
  if (name.startsWith('net.')) return 'network';
  return IPC_SYSCTL.test(name) ? 'ipc' : undefined;
}

/** The message for a sysctl that {@link sysctlNamespace} rejects. */
export function notNamespacedSysctl(name: string): string {
  return `sysctl "${name}" is not namespaced (allowed: net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)`;
}

/**
 * The default bounding set of appc, rkt, Docker and containerd (formats.md §1.5): what an app
 * gets without retain/remove isolators or Kubernetes add/drop.
 */
export const DEFAULT_CAPABILITIES = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_KILL', 'CAP_MKNOD',
  'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETFCAP', 'CAP_SYS_CHROOT',
] as const;

/** Every Linux capability name (capability.h, up to CAP_CHECKPOINT_RESTORE). */
export const LINUX_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** The typed value of a known isolator. Quantities are in bytes (memory) or cores (cpu). */
export type IsolatorValue =
  | { readonly kind: 'resource'; readonly request?: number; readonly limit?: number }
  | { readonly kind: 'capabilities'; readonly set: readonly string[] }
  | { readonly kind: 'no-new-privileges'; readonly enabled: boolean }
  | { readonly kind: 'seccomp'; readonly set: readonly string[]; readonly errno?: string }
  | { readonly kind: 'integer'; readonly value: number }
  | { readonly kind: 'selinux'; readonly user: string; readonly role: string; readonly type: string; readonly level: string }
  | { readonly kind: 'apparmor'; readonly profile: string };

/** A validated isolator: its name, typed value and the raw JSON value (for re-serialising). */
export interface Isolator {
  readonly name: IsolatorName;
  readonly value: IsolatorValue;
  readonly raw: unknown;
}

function isIsolatorName(name: string): name is IsolatorName {
  return (ISOLATOR_NAMES as readonly string[]).includes(name);
}

/** Validate an app's `isolators` list at `path`; returns the valid ones. */
export function parseAppIsolators(problems: Problems, path: string, value: unknown): Isolator[] {
  const list = readArray(problems, path, value) ?? [];
  const isolators: Isolator[] = [];
  const names: [string, string][] = [];
  list.forEach((entry, index) => {
    const at = item(path, index);
    const object = readObject(problems, at, entry);
    if (object === undefined) return;
    checkKeys(problems, at, object, ['name', 'value']);
    if (!('value' in object)) problems.add(child(at, 'value'), 'required');
    const name = readString(problems, child(at, 'name'), object['name']);
    const id = name === undefined ? undefined : checkACIdentifier(problems, child(at, 'name'), name);
    if (id === undefined) return;
    names.push([child(at, 'name'), id]);
    const parsed = parseIsolator(problems, at, id, object['value']);
    if (parsed !== undefined) isolators.push(parsed);
  });
  checkUnique(problems, names, 'isolator');
  const has = (name: IsolatorName): boolean => isolators.some((isolator) => isolator.name === name);
  if (has('os/linux/capabilities-retain-set') && has('os/linux/capabilities-remove-set')) {
    problems.add(path, 'os/linux/capabilities-retain-set and os/linux/capabilities-remove-set cannot be combined');
  }
  if (has('os/linux/seccomp-retain-set') && has('os/linux/seccomp-remove-set')) {
    problems.add(path, 'os/linux/seccomp-retain-set and os/linux/seccomp-remove-set cannot be combined');
  }
  return isolators;
}

function parseIsolator(problems: Problems, at: string, name: ACIdentifier, raw: unknown): Isolator | undefined {
  if (!isIsolatorName(name)) {
    problems.add(child(at, 'name'), `unknown isolator "${name}" (known: ${ISOLATOR_NAMES.join(', ')})`);
    return undefined;
  }
  const before = problems.list.length;
  const value = parseValue(problems, child(at, 'value'), name, raw);
  return value === undefined || problems.list.length !== before ? undefined : { name, value, raw };
}

function parseValue(problems: Problems, path: string, name: IsolatorName, raw: unknown): IsolatorValue | undefined {
  switch (name) {
    case 'resource/cpu':
    case 'resource/memory':
      return parseRequestLimit(problems, path, raw);
    case 'resource/block-bandwidth':
    case 'resource/block-iops':
    case 'resource/network-bandwidth':
      return parseDefaultLimit(problems, path, raw);
    case 'os/linux/capabilities-retain-set':
    case 'os/linux/capabilities-remove-set':
      return parseCapabilities(problems, path, raw);
    case 'os/linux/no-new-privileges': {
      const enabled = readBoolean(problems, path, raw);
      return enabled === undefined ? undefined : { kind: 'no-new-privileges', enabled };
    }
    case 'os/linux/seccomp-remove-set':
    case 'os/linux/seccomp-retain-set':
      return parseSeccomp(problems, path, raw);
    case 'os/linux/oom-score-adj': {
      const value = readInteger(problems, path, raw, { min: -1000, max: 1000 });
      return value === undefined ? undefined : { kind: 'integer', value };
    }
    case 'os/linux/cpu-shares': {
      const value = readInteger(problems, path, raw, { min: 2, max: 262144 });
      return value === undefined ? undefined : { kind: 'integer', value };
    }
    case 'os/linux/selinux-context':
      return parseSelinux(problems, path, raw);
    case 'os/linux/apparmor-profile': {
      const object = readObject(problems, path, raw);
      if (object === undefined) return undefined;
      checkKeys(problems, path, object, ['profile']);
      const profile = readString(problems, child(path, 'profile'), object['profile']);
      if (profile === '') problems.add(child(path, 'profile'), 'must not be empty');
      return profile === undefined ? undefined : { kind: 'apparmor', profile };
    }
    case 'os/unix/sysctl':
      problems.add(path, 'os/unix/sysctl is a pod-level isolator and cannot be set in an image');
      return undefined;
  }
}

function readQuantity(problems: Problems, path: string, value: unknown): number | undefined {
  const text = readString(problems, path, value);
  if (text === undefined) return undefined;
  const quantity = parseQuantity(text);
  if (quantity === undefined) {
    problems.add(path, `"${text}" is not a quantity (like 500m, 1, 128Mi, 1G)`);
    return undefined;
  }
  if (quantity < 0) {
    problems.add(path, `must not be negative, not "${text}"`);
    return undefined;
  }
  return quantity;
}

function parseRequestLimit(problems: Problems, path: string, raw: unknown): IsolatorValue | undefined {
  const object = readObject(problems, path, raw);
  if (object === undefined) return undefined;
  checkKeys(problems, path, object, ['request', 'limit', 'default']);
  if (object['default'] !== undefined && object['default'] !== false) {
    problems.add(child(path, 'default'), 'must be false (or absent) for cpu and memory');
  }
  const request = object['request'] === undefined ? undefined : readQuantity(problems, child(path, 'request'), object['request']);
  const limit = object['limit'] === undefined ? undefined : readQuantity(problems, child(path, 'limit'), object['limit']);
  if (request !== undefined && limit !== undefined && request > limit) {
    problems.add(child(path, 'request'), `must not exceed the limit (${String(object['request'])} > ${String(object['limit'])})`);
  }
  return { kind: 'resource', ...(request === undefined ? {} : { request }), ...(limit === undefined ? {} : { limit }) };
}

function parseDefaultLimit(problems: Problems, path: string, raw: unknown): IsolatorValue | undefined {
  const object = readObject(problems, path, raw);
  if (object === undefined) return undefined;
  checkKeys(problems, path, object, ['default', 'limit', 'request']);
  if (object['default'] !== true) problems.add(child(path, 'default'), 'must be true');
  if (object['request'] !== undefined) problems.add(child(path, 'request'), 'not allowed for this isolator');
  if (object['limit'] === undefined) {
    problems.add(child(path, 'limit'), 'required');
    return undefined;
  }
  const limit = readQuantity(problems, child(path, 'limit'), object['limit']);
  return limit === undefined ? undefined : { kind: 'resource', limit };
}

function readNonEmptySet(problems: Problems, path: string, raw: unknown): string[] | undefined {
  const object = readObject(problems, path, raw);
  if (object === undefined) return undefined;
  const setPath = child(path, 'set');
  const list = readArray(problems, setPath, object['set']);
  if (list === undefined) return undefined;
  if (list.length === 0) problems.add(setPath, 'must not be empty');
  const set: string[] = [];
  list.forEach((entry, index) => {
    const text = readString(problems, item(setPath, index), entry);
    if (text !== undefined) set.push(text);
  });
  return set;
}

function parseCapabilities(problems: Problems, path: string, raw: unknown): IsolatorValue | undefined {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) checkKeys(problems, path, raw as Record<string, unknown>, ['set']);
  const set = readNonEmptySet(problems, path, raw);
  if (set === undefined) return undefined;
  set.forEach((name, index) => {
    if (!(LINUX_CAPABILITIES as readonly string[]).includes(name)) {
      problems.add(item(child(path, 'set'), index), `unknown capability "${name}" (expected a name like CAP_NET_BIND_SERVICE)`);
    }
  });
  return { kind: 'capabilities', set };
}

function parseSeccomp(problems: Problems, path: string, raw: unknown): IsolatorValue | undefined {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) checkKeys(problems, path, raw as Record<string, unknown>, ['set', 'errno']);
  const set = readNonEmptySet(problems, path, raw);
  if (set === undefined) return undefined;
  const errnoValue = (raw as Record<string, unknown>)['errno'];
  if (errnoValue === undefined || errnoValue === '') return { kind: 'seccomp', set };
  const errno = readString(problems, child(path, 'errno'), errnoValue);
  if (errno === undefined) return undefined;
  if (!Object.hasOwn(osConstants.errno, errno)) {
    problems.add(child(path, 'errno'), `unknown errno "${errno}" (expected a name like EPERM)`);
    return undefined;
  }
  return { kind: 'seccomp', set, errno };
}

function parseSelinux(problems: Problems, path: string, raw: unknown): IsolatorValue | undefined {
  const object = readObject(problems, path, raw);
  if (object === undefined) return undefined;
  checkKeys(problems, path, object, ['user', 'role', 'type', 'level']);
  const fields: Record<string, string> = {};
  for (const key of ['user', 'role', 'type', 'level'] as const) {
    const value = readString(problems, child(path, key), object[key]);
    if (value === undefined) continue;
    if (value === '') problems.add(child(path, key), 'must not be empty');
    else if (key !== 'level' && value.includes(':')) problems.add(child(path, key), `must not contain ":", not "${value}"`);
    fields[key] = value;
  }
  const { user, role, type, level } = fields;
  if (user === undefined || role === undefined || type === undefined || level === undefined) return undefined;
  return { kind: 'selinux', user, role, type, level };
}
