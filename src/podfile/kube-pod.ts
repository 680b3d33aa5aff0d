/**
 * @module podfile/kube-pod — a Kubernetes Pod (`apiVersion: v1`, `kind: Pod`) → PodSpec, with
 * Kubernetes' defaults (restartPolicy Always, terminationGracePeriodSeconds 30, hostname = pod
 * name, namespace default). The accepted subset is formats.md §3.4; everything else is an
 * error or, for cluster-only fields, a warning (kube-shapes.ts).
 */
import type { ContainerContext, LocatedContainer } from './kube-container.js';
import { readKubeContainer } from './kube-container.js';
import type { KubeMetadata } from './kube-metadata.js';
import { readKubeMetadata } from './kube-metadata.js';
import { readKubeDns, readKubeHostAliases, readKubeHostname } from './kube-network.js';
import { checkContainersTogether } from './kube-pod-checks.js';
import type { PodSecurityDefaults } from './kube-security.js';
import { readPodSecurity } from './kube-security.js';
import { TOP_SHAPE, podSpecShape } from './kube-shapes.js';
import { readKubeVolumes } from './kube-volumes.js';
import { checkWritableHostPaths } from './host-path-guard.js';
import { readKubePriority } from './kube-priority.js';
import { POD_LIMITS } from './limits.js';
import { labelKeyProblem, labelValueProblem } from './names.js';
import type { MapNode, PodNode } from './node.js';
import { childPath, describeNode, itemPath } from './node.js';
import type { Fields, SpecialRule } from './reader.js';
import { readBoolean, readEnum, readInteger, readList, readObject, readString, readStringMap, required } from './reader.js';
import type { Scope } from './scope.js';
import type { ContainerSpec, PodSpec } from './types.js';
import { RESTART_POLICIES } from './types.js';

/** What identifies a pod even when its file is invalid (for status displays). */
export interface PodIdentity {
  readonly namespace: string;
  readonly name: string;
}

function nodeNameRule(scope: Scope): SpecialRule {
  return (node) => {
    const value = node.kind === 'scalar' ? node.value : undefined;
    if (value === null || value === '') return 'accept';
    if (typeof value === 'string' && value === scope.options.nodeName) return { warning: 'names this machine; ignored by rocklet' };
    const here = scope.options.nodeName === undefined ? '' : ` (this machine is "${scope.options.nodeName}")`;
    const shown = node.kind === 'scalar' ? JSON.stringify(node.source) : describeNode(node);
    return { error: `${shown} names another machine${here}: remove it, or use spec.nodeSelector with machine labels` };
  };
}

function checkTopKinds(scope: Scope, top: Fields): boolean {
  const kindNode = required(scope.sink, top, 'kind');
  const kind = kindNode === undefined ? undefined : readString(scope.sink, kindNode, 'kind');
  if (kind !== undefined && kind !== 'Pod' && kindNode !== undefined) {
    scope.sink.error(kindNode.pos, 'kind', `kind ${kind} is not supported: expected Pod (or an appc PodManifest)`);
    return false;
  }
  const versionNode = required(scope.sink, top, 'apiVersion');
  const version = versionNode === undefined ? undefined : readString(scope.sink, versionNode, 'apiVersion');
  if (version !== undefined && version !== 'v1' && versionNode !== undefined) {
    scope.sink.error(versionNode.pos, 'apiVersion', `apiVersion must be exactly "v1" for kind Pod, got "${version}"`);
  }
  return kind === 'Pod';
}

function readContainers(scope: Scope, spec: Fields, init: boolean, context: Omit<ContainerContext, 'init'>): LocatedContainer[] {
  const key = init ? 'initContainers' : 'containers';
  const node = init ? spec.get(key) : required(scope.sink, spec, key, 'required field is missing: a pod needs at least one container');
  if (node === undefined) return [];
  const items = readList(scope.sink, node, spec.at(key), init ? POD_LIMITS.initContainers : POD_LIMITS.containers) ?? [];
  if (!init && items.length === 0 && node.kind === 'seq') scope.sink.error(node.pos, spec.at(key), 'a pod needs at least one container');
  return items.map((item, index) => readKubeContainer(scope, item, itemPath(spec.at(key), index), { ...context, init }));
}

function readNodeSelector(scope: Scope, spec: Fields): Record<string, string> {
  const node = spec.get('nodeSelector');
  const selector: Record<string, string> = {};
  if (node === undefined) return selector;
  for (const { entry, value } of readStringMap(scope.sink, node, spec.at('nodeSelector')) ?? []) {
    const at = childPath(spec.at('nodeSelector'), entry.key);
    const problem = labelKeyProblem(entry.key) ?? labelValueProblem(value);
    if (problem !== undefined) scope.sink.error(entry.keyPos, at, problem);
    selector[entry.key] = value;
  }
  return selector;
}

function readFlag(scope: Scope, spec: Fields, key: string): boolean {
  const node = spec.get(key);
  return node === undefined ? false : (readBoolean(scope.sink, node, spec.at(key)) ?? false);
}

function readSpec(scope: Scope, node: PodNode, metadata: KubeMetadata): PodSpec | undefined {
  const spec = readObject(scope.sink, node, 'spec', podSpecShape(nodeNameRule(scope)));
  if (spec === undefined) return undefined;
  const hostNetwork = readFlag(scope, spec, 'hostNetwork');
  const hostPID = readFlag(scope, spec, 'hostPID');
  const hostIPC = readFlag(scope, spec, 'hostIPC');
  const { volumes, names, hostPaths } = readKubeVolumes(scope, spec.get('volumes'), spec.at('volumes'));
  const podSecurity = readPodSecurity(scope, spec.get('securityContext'), spec.at('securityContext'), { network: hostNetwork, ipc: hostIPC });
  const security: PodSecurityDefaults = {
    ...podSecurity.defaults,
    ...(metadata.rocklet.oomScoreAdj === undefined ? {} : { oomScoreAdj: metadata.rocklet.oomScoreAdj }),
  };
  const context = { hostNetwork, volumeNames: names, security };
  const init = readContainers(scope, spec, true, context);
  const apps = readContainers(scope, spec, false, context);
  checkContainersTogether(scope, [...init, ...apps]);
  checkWritableHostPaths(scope, hostPaths, [...init, ...apps]);
  const priority = readKubePriority(scope, spec);
  const restartNode = spec.get('restartPolicy');
  const restartPolicy = restartNode === undefined ? 'Always' : readEnum(scope.sink, restartNode, spec.at('restartPolicy'), RESTART_POLICIES);
  const graceNode = spec.get('terminationGracePeriodSeconds');
  const grace = graceNode === undefined ? 30 : readInteger(scope.sink, graceNode, spec.at('terminationGracePeriodSeconds'), { min: 0, max: POD_LIMITS.maxId });
  const dns = readKubeDns(scope, spec);
  const hostAliases = readKubeHostAliases(scope, spec.get('hostAliases'), spec.at('hostAliases'));
  const hostname = readKubeHostname(scope, spec, metadata.name);
  const shareProcessNamespace = readFlag(scope, spec, 'shareProcessNamespace');
  if (shareProcessNamespace && hostPID) {
    scope.sink.error(spec.get('hostPID')?.pos ?? spec.node.pos, spec.at('hostPID'), 'hostPID and shareProcessNamespace cannot both be true (as Kubernetes)');
  }
  const nodeSelector = readNodeSelector(scope, spec);
  const specs = (list: LocatedContainer[]): ContainerSpec[] => list.flatMap((c) => (c.spec === undefined ? [] : [c.spec]));
  if (metadata.name === undefined || restartPolicy === undefined || grace === undefined || hostname === undefined) return undefined;
  return {
    format: 'kubernetes',
    name: metadata.name,
    namespace: metadata.namespace,
    labels: metadata.labels,
    annotations: metadata.annotations,
    nodeSelector,
    initContainers: specs(init),
    containers: specs(apps),
    volumes,
    restartPolicy,
    terminationGracePeriodSeconds: grace,
    hostNetwork,
    hostname,
    dns,
    hostAliases,
    shareProcessNamespace,
    sysctls: podSecurity.sysctls,
    insecureOptions: metadata.rocklet.insecureOptions,
    ...(hostPID ? { hostPID: true as const } : {}),
    ...(hostIPC ? { hostIPC: true as const } : {}),
    ...priority,
    ...(podSecurity.defaults.fsGroup === undefined ? {} : { fsGroup: podSecurity.defaults.fsGroup }),
  };
}

/**
 * Validates a Kubernetes Pod tree. Returns the spec only when no error was recorded, and the
 * pod's identity whenever its name could be read.
 */
export function parseKubernetesPod(scope: Scope, root: MapNode): { spec?: PodSpec; identity?: PodIdentity } {
  const before = scope.sink.errorCount;
  const top = readObject(scope.sink, root, '', TOP_SHAPE);
  if (top === undefined || !checkTopKinds(scope, top)) return {};
  const metadata = readKubeMetadata(scope, top);
  const identity = metadata.name === undefined ? undefined : { namespace: metadata.namespace, name: metadata.name };
  const specNode = required(scope.sink, top, 'spec');
  const spec = specNode === undefined ? undefined : readSpec(scope, specNode, metadata);
  const ok = spec !== undefined && scope.sink.errorCount === before;
  return { ...(ok ? { spec } : {}), ...(identity === undefined ? {} : { identity }) };
}
