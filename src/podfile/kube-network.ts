/**
 * @module podfile/kube-network — hostname, dnsPolicy/dnsConfig and hostAliases. On one host
 * `ClusterFirst` (the Kubernetes default) behaves as `Default` (the host's resolv.conf), so it
 * is normalised to `Default`, with a warning when written explicitly; `None` needs nameservers.
 */
import { DNS_CONFIG_SHAPE, DNS_OPTION_SHAPE, HOST_ALIAS_SHAPE } from './kube-shapes.js';
import { POD_LIMITS } from './limits.js';
import { dnsLabelProblem, dnsSubdomainProblem, ipProblem } from './names.js';
import type { PodNode } from './node.js';
import { itemPath } from './node.js';
import type { Fields } from './reader.js';
import { readEnum, readList, readObject, readString, readStringList, required } from './reader.js';
import type { Scope } from './scope.js';
import type { DnsPolicy, DnsSpec, HostAlias, Hostname, PodName } from './types.js';

function checkEach(scope: Scope, node: PodNode, path: string, values: readonly string[], problemOf: (value: string) => string | undefined): void {
  values.forEach((value, index) => {
    const problem = problemOf(value);
    const at = node.kind === 'seq' ? (node.items[index]?.pos ?? node.pos) : node.pos;
    if (problem !== undefined) scope.sink.error(at, itemPath(path, index), problem);
  });
}

function readStrings(scope: Scope, fields: Fields, key: string, max: number, problemOf: (value: string) => string | undefined): string[] {
  const node = fields.get(key);
  if (node === undefined) return [];
  const values = readStringList(scope.sink, node, fields.at(key), max) ?? [];
  checkEach(scope, node, fields.at(key), values, problemOf);
  return values;
}

function readDnsOptions(scope: Scope, fields: Fields): { name: string; value?: string }[] {
  const node = fields.get('options');
  const items = node === undefined ? [] : (readList(scope.sink, node, fields.at('options'), POD_LIMITS.dnsOptions) ?? []);
  return items.flatMap((item, index) => {
    const option = readObject(scope.sink, item, itemPath(fields.at('options'), index), DNS_OPTION_SHAPE);
    const nameNode = option === undefined ? undefined : required(scope.sink, option, 'name');
    const name = nameNode === undefined || option === undefined ? undefined : readString(scope.sink, nameNode, option.at('name'));
    const valueNode = option?.get('value');
    const value = valueNode === undefined || option === undefined ? undefined : readString(scope.sink, valueNode, option.at('value'));
    if (name === '' && nameNode !== undefined && option !== undefined) scope.sink.error(nameNode.pos, option.at('name'), 'must not be empty');
    return name === undefined || name === '' ? [] : [{ name, ...(value === undefined ? {} : { value }) }];
  });
}

/** Reads dnsPolicy and dnsConfig from the pod spec fields. */
export function readKubeDns(scope: Scope, spec: Fields): DnsSpec {
  const policyNode = spec.get('dnsPolicy');
  const written = policyNode === undefined ? 'ClusterFirst' : readEnum(scope.sink, policyNode, spec.at('dnsPolicy'), ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] as const);
  if (policyNode !== undefined && (written === 'ClusterFirst' || written === 'ClusterFirstWithHostNet')) {
    scope.sink.warning(policyNode.pos, spec.at('dnsPolicy'), `${written} behaves as Default on one host (the host's resolv.conf)`);
  }
  const policy: DnsPolicy = written === 'None' ? 'None' : 'Default';
  const configNode = spec.get('dnsConfig');
  const config = configNode === undefined ? undefined : readObject(scope.sink, configNode, spec.at('dnsConfig'), DNS_CONFIG_SHAPE);
  const nameservers = config === undefined ? [] : readStrings(scope, config, 'nameservers', POD_LIMITS.nameservers, ipProblem);
  const searches = config === undefined ? [] : readStrings(scope, config, 'searches', POD_LIMITS.searches, (value) => dnsSubdomainProblem(value.replace(/\.$/, '')));
  const options = config === undefined ? [] : readDnsOptions(scope, config);
  if (policy === 'None' && nameservers.length === 0) {
    scope.sink.error(policyNode?.pos ?? spec.node.pos, spec.at('dnsPolicy'), 'dnsPolicy None needs at least one dnsConfig.nameservers entry');
  }
  return { policy, nameservers, searches, options };
}

/** Reads `hostAliases` (extra /etc/hosts lines). */
export function readKubeHostAliases(scope: Scope, node: PodNode | undefined, path: string): HostAlias[] {
  const items = node === undefined ? [] : (readList(scope.sink, node, path, POD_LIMITS.hostAliases) ?? []);
  return items.flatMap((item, index) => {
    const fields = readObject(scope.sink, item, itemPath(path, index), HOST_ALIAS_SHAPE);
    if (fields === undefined) return [];
    const ipNode = required(scope.sink, fields, 'ip');
    const ip = ipNode === undefined ? undefined : readString(scope.sink, ipNode, fields.at('ip'));
    const problem = ip === undefined ? undefined : ipProblem(ip);
    if (problem !== undefined && ipNode !== undefined) scope.sink.error(ipNode.pos, fields.at('ip'), problem);
    const hostnames = readStrings(scope, fields, 'hostnames', POD_LIMITS.hostnamesPerAlias, dnsSubdomainProblem);
    return ip === undefined || problem !== undefined ? [] : [{ ip, hostnames }];
  });
}

/** Reads `hostname` (a DNS-1123 label, default the pod name). */
export function readKubeHostname(scope: Scope, spec: Fields, podName: PodName | undefined): Hostname | undefined {
  const node = spec.get('hostname');
  if (node === undefined) return podName as Hostname | undefined;
  const value = readString(scope.sink, node, spec.at('hostname'));
  if (value === undefined) return undefined;
  const problem = dnsLabelProblem(value);
  if (problem !== undefined) scope.sink.error(node.pos, spec.at('hostname'), problem);
  return problem === undefined ? (value as Hostname) : undefined;
}
