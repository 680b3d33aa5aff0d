/**
 * @module podfile/appc-isolators — appc isolators (formats.md §1.5, §1.8 #35–#48) mapped onto
 * the same fields a Kubernetes file sets: resources, capabilities, no-new-privileges,
 * seccomp, oom-score-adj, cpu-shares; `os/unix/sysctl` at pod level. Stricter than appc's Go
 * code where the spec or Kubernetes is: real capability and errno names, retain/remove sets
 * never combined, request ≤ limit, no negative quantities, unknown isolators are errors.
 * Isolators rocklet cannot honour (bandwidth, SELinux, AppArmor) are validated, then refused.
 */
import { constants as osConstants } from 'node:os';
import { LINUX_CAPABILITIES, notNamespacedSysctl, sysctlNamespace } from '../image/index.js';
import { capabilityName, effectiveCapabilities, sortCapabilities } from './capabilities.js';
import { didYouMean } from './diagnostics.js';
import { readQuantity } from './kube-resources.js';
import { POD_LIMITS } from './limits.js';
import type { PodNode, Position } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readBoolean, readInteger, readList, readObject, readString, readStringMap, required } from './reader.js';
import type { Scope } from './scope.js';
import type { CapabilityName, ResourceRequirements, SeccompPolicy, Sysctl } from './types.js';

const APP_ISOLATORS = [
  'resource/cpu', 'resource/memory', 'os/linux/capabilities-retain-set', 'os/linux/capabilities-remove-set',
  'os/linux/no-new-privileges', 'os/linux/seccomp-remove-set', 'os/linux/seccomp-retain-set', 'os/linux/oom-score-adj', 'os/linux/cpu-shares',
] as const;
const REFUSED = ['resource/block-bandwidth', 'resource/block-iops', 'resource/network-bandwidth', 'os/linux/selinux-context', 'os/linux/apparmor-profile'] as const;
const POD_ISOLATORS = ['os/unix/sysctl'] as const;
const ALL = [...APP_ISOLATORS, ...REFUSED, ...POD_ISOLATORS];
const SYSCALL = /^(@[a-z0-9._/-]+|[a-z0-9_]+)$/;

/** What an app's isolators set. */
export interface AppIsolation {
  readonly resources: ResourceRequirements;
  readonly capabilities?: CapabilityName[];
  readonly noNewPrivileges?: boolean;
  readonly seccomp?: SeccompPolicy;
  readonly oomScoreAdj?: number;
}

interface Entry {
  readonly name: string;
  readonly value: PodNode;
  readonly path: string;
  readonly pos: Position;
}

function readEntries(scope: Scope, node: PodNode | undefined, path: string): Entry[] {
  const items = node === undefined ? [] : (readList(scope.sink, node, path, 64) ?? []);
  const entries: Entry[] = [];
  items.forEach((item, index) => {
    const fields = readObject(scope.sink, item, itemPath(path, index), { fields: ['name', 'value'] });
    const nameNode = fields === undefined ? undefined : required(scope.sink, fields, 'name');
    const value = fields === undefined ? undefined : required(scope.sink, fields, 'value');
    const name = nameNode === undefined || fields === undefined ? undefined : readString(scope.sink, nameNode, fields.at('name'));
    if (name === undefined || value === undefined || nameNode === undefined || fields === undefined) return;
    if (!(ALL as readonly string[]).includes(name)) {
      scope.sink.error(nameNode.pos, fields.at('name'), `unknown isolator "${name}"${didYouMean(name, ALL)}`);
    } else if (entries.some((entry) => entry.name === name)) {
      scope.sink.error(nameNode.pos, fields.at('name'), `duplicate isolator "${name}" (one of each per list)`);
    } else entries.push({ name, value, path: fields.at('value'), pos: nameNode.pos });
  });
  return entries;
}

function readRequestLimit(scope: Scope, entry: Entry, unit: 'bytes' | 'millicores'): { request?: number; limit?: number } {
  const fields = readObject(scope.sink, entry.value, entry.path, { fields: ['request', 'limit', 'default'] });
  if (fields === undefined) return {};
  const def = fields.get('default');
  if (def !== undefined && readBoolean(scope.sink, def, fields.at('default')) === true) scope.sink.error(def.pos, fields.at('default'), 'must be false for cpu and memory');
  const read = (key: string): number | undefined => {
    const node = fields.get(key);
    const value = node === undefined ? undefined : readQuantity(scope.sink, node, fields.at(key), unit);
    if (value === 0 && node !== undefined) scope.sink.error(node.pos, fields.at(key), 'must be greater than zero');
    return value === 0 ? undefined : value;
  };
  const request = read('request');
  const limit = read('limit');
  if (request !== undefined && limit !== undefined && request > limit) scope.sink.error(entry.value.pos, fields.at('request'), 'the request must not exceed the limit');
  if (unit === 'bytes' && limit !== undefined && limit < POD_LIMITS.minMemoryLimitBytes) scope.sink.error(entry.value.pos, fields.at('limit'), 'must be at least 4Mi');
  const effectiveRequest = request ?? limit;
  return { ...(effectiveRequest === undefined ? {} : { request: effectiveRequest }), ...(limit === undefined ? {} : { limit }) };
}

function readSet(scope: Scope, entry: Entry, extra: readonly string[]): { set: string[]; fields?: Fields } {
  const fields = readObject(scope.sink, entry.value, entry.path, { fields: ['set', ...extra] });
  const node = fields === undefined ? undefined : required(scope.sink, fields, 'set');
  if (fields === undefined || node === undefined) return { set: [] };
  const list = node.kind === 'seq' ? node.items : undefined;
  if (list === undefined) scope.sink.error(node.pos, fields.at('set'), 'expected a non-empty list');
  else if (list.length === 0) scope.sink.error(node.pos, fields.at('set'), 'must not be empty');
  const set = (list ?? []).map((item, index) => readString(scope.sink, item, itemPath(fields.at('set'), index)) ?? '');
  return { set, fields };
}

function readCapabilitySet(scope: Scope, entry: Entry): CapabilityName[] {
  const { set, fields } = readSet(scope, entry, []);
  return set.flatMap((raw, index) => {
    const name = capabilityName(raw);
    if (name === undefined && fields !== undefined) {
      scope.sink.error(entry.value.pos, itemPath(fields.at('set'), index), `unknown capability "${raw}"${didYouMean(raw, LINUX_CAPABILITIES)}`);
    }
    return name === undefined ? [] : [name];
  });
}

function readSeccompSet(scope: Scope, entry: Entry, mode: 'retain' | 'remove'): SeccompPolicy {
  const { set, fields } = readSet(scope, entry, ['errno']);
  set.forEach((name, index) => {
    if (!SYSCALL.test(name) && fields !== undefined) scope.sink.error(entry.value.pos, itemPath(fields.at('set'), index), `"${name}" is not a syscall name or @group`);
  });
  const errnoNode = fields?.get('errno');
  const errno = errnoNode === undefined || fields === undefined ? undefined : readString(scope.sink, errnoNode, fields.at('errno'));
  if (errno !== undefined && errno !== '' && !Object.hasOwn(osConstants.errno, errno) && errnoNode !== undefined && fields !== undefined) {
    scope.sink.error(errnoNode.pos, fields.at('errno'), `unknown errno "${errno}" (expected a name like EPERM)`);
  }
  return { kind: 'syscalls', mode, syscalls: set, ...(errno === undefined || errno === '' ? {} : { errno }) };
}

function refuse(scope: Scope, entry: Entry): void {
  scope.sink.error(entry.pos, entry.path.replace(/\.value$/, '.name'), `isolator ${entry.name} is not supported by rocklet v1`);
}

/** Reads an app's `isolators`. */
export function readAppIsolators(scope: Scope, node: PodNode | undefined, path: string): AppIsolation {
  const entries = readEntries(scope, node, path);
  const has = (name: string): boolean => entries.some((entry) => entry.name === name);
  if (has('os/linux/capabilities-retain-set') && has('os/linux/capabilities-remove-set')) {
    scope.sink.error(node?.pos ?? { line: 0, column: 0 }, path, 'capabilities-retain-set and capabilities-remove-set cannot be combined');
  }
  if (has('os/linux/seccomp-retain-set') && has('os/linux/seccomp-remove-set')) {
    scope.sink.error(node?.pos ?? { line: 0, column: 0 }, path, 'seccomp-retain-set and seccomp-remove-set cannot be combined');
  }
  let resources: ResourceRequirements = {};
  let result: Omit<AppIsolation, 'resources'> = {};
  for (const entry of entries) {
    switch (entry.name) {
      case 'resource/cpu': {
        const { request, limit } = readRequestLimit(scope, entry, 'millicores');
        if (request !== undefined) resources = { ...resources, cpu: { requestMillicores: request, ...(limit === undefined ? {} : { limitMillicores: limit }) } };
        break;
      }
      case 'resource/memory': {
        const { request, limit } = readRequestLimit(scope, entry, 'bytes');
        if (request !== undefined) resources = { ...resources, memory: { requestBytes: request, ...(limit === undefined ? {} : { limitBytes: limit }) } };
        break;
      }
      case 'os/linux/cpu-shares': {
        const shares = readInteger(scope.sink, entry.value, entry.path, { min: 2, max: 262144 });
        if (shares !== undefined) resources = { ...resources, cpuShares: shares };
        break;
      }
      case 'os/linux/capabilities-retain-set':
        result = { ...result, capabilities: sortCapabilities(readCapabilitySet(scope, entry)) };
        break;
      case 'os/linux/capabilities-remove-set':
        result = { ...result, capabilities: effectiveCapabilities([], readCapabilitySet(scope, entry), false) };
        break;
      case 'os/linux/no-new-privileges': {
        const value = readBoolean(scope.sink, entry.value, entry.path);
        if (value !== undefined) result = { ...result, noNewPrivileges: value };
        break;
      }
      case 'os/linux/seccomp-retain-set':
      case 'os/linux/seccomp-remove-set':
        result = { ...result, seccomp: readSeccompSet(scope, entry, entry.name.endsWith('retain-set') ? 'retain' : 'remove') };
        break;
      case 'os/linux/oom-score-adj': {
        const value = readInteger(scope.sink, entry.value, entry.path, { min: -1000, max: 1000 });
        if (value !== undefined) result = { ...result, oomScoreAdj: value };
        break;
      }
      case 'os/unix/sysctl':
        scope.sink.error(entry.pos, entry.path, 'os/unix/sysctl is a pod-level isolator: put it in the top-level isolators');
        break;
      default:
        refuse(scope, entry);
    }
  }
  return { resources, ...result };
}

/** Reads the pod-level `isolators`: only `os/unix/sysctl` (namespaced names) is accepted. */
export function readPodIsolators(scope: Scope, node: PodNode | undefined, path: string): Sysctl[] {
  const sysctls: Sysctl[] = [];
  for (const entry of readEntries(scope, node, path)) {
    if (entry.name !== 'os/unix/sysctl') {
      const where = (APP_ISOLATORS as readonly string[]).includes(entry.name) ? ': set it per app in apps[].app.isolators' : '';
      scope.sink.error(entry.pos, entry.path, `isolator ${entry.name} is not supported at pod level by rocklet v1${where}`);
      continue;
    }
    for (const { entry: item, value } of readStringMap(scope.sink, entry.value, entry.path) ?? []) {
      if (sysctlNamespace(item.key) === undefined) {
        scope.sink.error(item.keyPos, entry.path, notNamespacedSysctl(item.key));
      } else sysctls.push({ name: item.key, value });
    }
  }
  return sysctls;
}
