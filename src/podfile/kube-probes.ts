/**
 * @module podfile/kube-probes — a container's `startupProbe`, `livenessProbe`,
 * `readinessProbe` and `lifecycle` (postStart/preStop) → typed probes and hooks with
 * Kubernetes' defaults and validation: exactly one handler; successThreshold 1 for liveness and
 * startup; a named port must be one the container declares (it is resolved to its number here,
 * so the runtime never looks names up).
 */
import type { ContainerPort } from './types.js';
import type { PodNode } from './node.js';
import { itemPath } from './node.js';
import type { Fields, ObjectShape } from './reader.js';
import { readEnum, readInteger, readList, readNonEmptyString, readObject, readString, readStringList, required, verdicts } from './reader.js';
import { portNameProblem } from './names.js';
import { POD_LIMITS } from './limits.js';
import type { Scope } from './scope.js';
import type { ContainerProbes, ExecAction, GrpcAction, HookAction, HttpGetAction, HttpHeader, LifecycleHooks, ProbeAction, ProbeKind, ProbeSpec, SleepAction, TcpSocketAction } from './probe-types.js';

const PROBE_SHAPE: ObjectShape = {
  fields: ['exec', 'httpGet', 'tcpSocket', 'grpc', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'],
};
const HOOK_SHAPE: ObjectShape = {
  fields: ['exec', 'httpGet', 'sleep'],
  special: { tcpSocket: verdicts.error('tcpSocket hooks are deprecated in Kubernetes and not supported: use exec, httpGet or sleep') },
};
const LIFECYCLE_SHAPE: ObjectShape = {
  fields: ['postStart', 'preStop'],
  special: { stopSignal: verdicts.error('lifecycle.stopSignal is not supported by rocklet: containers get SIGTERM') },
};
const EXEC_SHAPE: ObjectShape = { fields: ['command'] };
const HTTP_GET_SHAPE: ObjectShape = { fields: ['path', 'port', 'host', 'scheme', 'httpHeaders'] };
const HEADER_SHAPE: ObjectShape = { fields: ['name', 'value'] };
const TCP_SHAPE: ObjectShape = { fields: ['port', 'host'] };
// Kubernetes' GRPCAction has no host (always the pod's address) and a numeric port only.
const GRPC_SHAPE: ObjectShape = {
  fields: ['port', 'service'],
  special: { host: verdicts.error('grpc probes have no host field in Kubernetes: they call the pod\'s own address') },
};
// A gRPC service name as grpc-go's health server registers it, e.g. `grpc.health.v1.Health` or `myapp.Backend`.
const GRPC_SERVICE = /^[A-Za-z0-9_.\/-]*$/;
const SLEEP_SHAPE: ObjectShape = { fields: ['seconds'] };

/** The probe fields of a container and the probe kind each one is. */
export const PROBE_FIELDS: Readonly<Record<ProbeKind, string>> = { startup: 'startupProbe', liveness: 'livenessProbe', readiness: 'readinessProbe' };

const SECONDS = { min: 0, max: 2_147_483_647 };
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function readPort(scope: Scope, fields: Fields, ports: readonly ContainerPort[]): number | undefined {
  const node = required(scope.sink, fields, 'port');
  if (node === undefined) return undefined;
  const path = fields.at('port');
  if (node.kind === 'scalar' && typeof node.value === 'string') {
    const name = node.value;
    const problem = portNameProblem(name);
    if (problem !== undefined) {
      scope.sink.error(node.pos, path, problem);
      return undefined;
    }
    const port = ports.find((p) => p.name === name && p.protocol === 'TCP');
    if (port === undefined) {
      const named = ports.filter((p) => p.name !== undefined && p.protocol === 'TCP').map((p) => `${p.name ?? ''} (${p.containerPort})`);
      scope.sink.error(node.pos, path, `port "${name}" is not declared in this container's ports (${named.length === 0 ? 'it names no TCP ports' : `named TCP ports: ${named.join(', ')}`})`);
      return undefined;
    }
    return port.containerPort;
  }
  return readInteger(scope.sink, node, path, { min: 1, max: 65535 });
}

function readHost(scope: Scope, fields: Fields): string | undefined {
  const node = fields.get('host');
  return node === undefined ? undefined : readNonEmptyString(scope.sink, node, fields.at('host'));
}

function readExec(scope: Scope, node: PodNode, path: string): ExecAction | undefined {
  const fields = readObject(scope.sink, node, path, EXEC_SHAPE);
  if (fields === undefined) return undefined;
  const commandNode = required(scope.sink, fields, 'command', 'required field is missing: the command to run in the container, e.g. command: [cat, /tmp/healthy]');
  const command = commandNode === undefined ? undefined : readStringList(scope.sink, commandNode, fields.at('command'), POD_LIMITS.argvItems);
  if (command !== undefined && command.length === 0 && commandNode !== undefined) {
    scope.sink.error(commandNode.pos, fields.at('command'), 'must name a command to run');
    return undefined;
  }
  return command === undefined ? undefined : { kind: 'exec', command };
}

function readHeaders(scope: Scope, fields: Fields): HttpHeader[] | undefined {
  const node = fields.get('httpHeaders');
  if (node === undefined) return [];
  const items = readList(scope.sink, node, fields.at('httpHeaders'), 64);
  if (items === undefined) return undefined;
  const before = scope.sink.errorCount;
  const headers: HttpHeader[] = [];
  items.forEach((item, index) => {
    const at = itemPath(fields.at('httpHeaders'), index);
    const header = readObject(scope.sink, item, at, HEADER_SHAPE);
    if (header === undefined) return;
    const nameNode = required(scope.sink, header, 'name');
    const name = nameNode === undefined ? undefined : readNonEmptyString(scope.sink, nameNode, header.at('name'));
    if (name !== undefined && nameNode !== undefined && !HEADER_NAME.test(name)) scope.sink.error(nameNode.pos, header.at('name'), `"${name}" is not a valid HTTP header name`);
    const valueNode = required(scope.sink, header, 'value');
    const value = valueNode === undefined ? undefined : readString(scope.sink, valueNode, header.at('value'));
    if (value !== undefined && valueNode !== undefined && /[\r\n\0]/.test(value)) scope.sink.error(valueNode.pos, header.at('value'), 'must not contain line breaks or NUL');
    if (name !== undefined && value !== undefined) headers.push({ name, value });
  });
  return scope.sink.errorCount === before ? headers : undefined;
}

function readHttpGet(scope: Scope, node: PodNode, path: string, ports: readonly ContainerPort[]): HttpGetAction | undefined {
  const fields = readObject(scope.sink, node, path, HTTP_GET_SHAPE);
  if (fields === undefined) return undefined;
  const before = scope.sink.errorCount;
  const port = readPort(scope, fields, ports);
  const host = readHost(scope, fields);
  const pathNode = fields.get('path');
  let urlPath = pathNode === undefined ? '/' : readString(scope.sink, pathNode, fields.at('path'));
  if (urlPath !== undefined && pathNode !== undefined) {
    if (/[\s\0]/.test(urlPath)) scope.sink.error(pathNode.pos, fields.at('path'), 'must not contain whitespace or NUL');
    if (!urlPath.startsWith('/')) urlPath = `/${urlPath}`;
  }
  const schemeNode = fields.get('scheme');
  const scheme = schemeNode === undefined ? 'HTTP' : readEnum(scope.sink, schemeNode, fields.at('scheme'), ['HTTP', 'HTTPS'] as const);
  const headers = readHeaders(scope, fields);
  if (scope.sink.errorCount !== before || port === undefined || urlPath === undefined || scheme === undefined || headers === undefined) return undefined;
  return { kind: 'httpGet', path: urlPath, port, ...(host === undefined ? {} : { host }), scheme, headers };
}

function readTcp(scope: Scope, node: PodNode, path: string, ports: readonly ContainerPort[]): TcpSocketAction | undefined {
  const fields = readObject(scope.sink, node, path, TCP_SHAPE);
  if (fields === undefined) return undefined;
  const port = readPort(scope, fields, ports);
  const host = readHost(scope, fields);
  return port === undefined ? undefined : { kind: 'tcpSocket', port, ...(host === undefined ? {} : { host }) };
}

function readGrpc(scope: Scope, node: PodNode, path: string): GrpcAction | undefined {
  const fields = readObject(scope.sink, node, path, GRPC_SHAPE);
  if (fields === undefined) return undefined;
  const portNode = required(scope.sink, fields, 'port');
  if (portNode?.kind === 'scalar' && typeof portNode.value === 'string') {
    scope.sink.error(portNode.pos, fields.at('port'), 'must be a port number: Kubernetes does not resolve named ports for grpc probes');
    return undefined;
  }
  const port = portNode === undefined ? undefined : readInteger(scope.sink, portNode, fields.at('port'), { min: 1, max: 65535 });
  const serviceNode = fields.get('service');
  const service = serviceNode === undefined ? '' : readString(scope.sink, serviceNode, fields.at('service'));
  if (service !== undefined && serviceNode !== undefined && (!GRPC_SERVICE.test(service) || service.length > 1024)) {
    scope.sink.error(serviceNode.pos, fields.at('service'), `"${service.slice(0, 80)}" is not a gRPC service name (letters, digits, . _ / -; at most 1024 characters)`);
    return undefined;
  }
  return port === undefined || service === undefined ? undefined : { kind: 'grpc', port, service };
}

function readSleep(scope: Scope, node: PodNode, path: string): SleepAction | undefined {
  const fields = readObject(scope.sink, node, path, SLEEP_SHAPE);
  if (fields === undefined) return undefined;
  const secondsNode = required(scope.sink, fields, 'seconds');
  const seconds = secondsNode === undefined ? undefined : readInteger(scope.sink, secondsNode, fields.at('seconds'), SECONDS);
  return seconds === undefined ? undefined : { kind: 'sleep', seconds };
}

type HandlerKey = 'exec' | 'httpGet' | 'tcpSocket' | 'grpc' | 'sleep';

/** Exactly one of `keys` must be set; returns it. */
function oneHandler(scope: Scope, fields: Fields, keys: readonly HandlerKey[]): HandlerKey | undefined {
  const set = keys.filter((key) => fields.get(key) !== undefined);
  if (set.length === 1) return set[0];
  scope.sink.error(fields.node.pos, fields.path, set.length === 0 ? `needs one handler: ${keys.join(', ')}` : `has ${set.length} handlers (${set.join(', ')}); give exactly one`);
  return undefined;
}

function readProbeAction(scope: Scope, fields: Fields, ports: readonly ContainerPort[]): ProbeAction | undefined {
  const key = oneHandler(scope, fields, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  const node = key === undefined ? undefined : fields.get(key);
  if (key === undefined || node === undefined) return undefined;
  if (key === 'exec') return readExec(scope, node, fields.at(key));
  if (key === 'httpGet') return readHttpGet(scope, node, fields.at(key), ports);
  if (key === 'grpc') return readGrpc(scope, node, fields.at(key));
  return readTcp(scope, node, fields.at(key), ports);
}

function readProbe(scope: Scope, kind: ProbeKind, node: PodNode, path: string, ports: readonly ContainerPort[]): ProbeSpec | undefined {
  const fields = readObject(scope.sink, node, path, PROBE_SHAPE);
  if (fields === undefined) return undefined;
  const before = scope.sink.errorCount;
  const action = readProbeAction(scope, fields, ports);
  const int = (key: string, fallback: number, min: number): number | undefined => {
    const valueNode = fields.get(key);
    if (valueNode === undefined) return fallback;
    const value = readInteger(scope.sink, valueNode, fields.at(key), { min: 0, max: SECONDS.max });
    // Kubernetes defaults 0 (or unset) to the default for these fields, and refuses negatives.
    if (value === 0 && min > 0) return fallback;
    return value;
  };
  const initialDelaySeconds = int('initialDelaySeconds', 0, 0);
  const periodSeconds = int('periodSeconds', 10, 1);
  const timeoutSeconds = int('timeoutSeconds', 1, 1);
  const successThreshold = int('successThreshold', 1, 1);
  const failureThreshold = int('failureThreshold', 3, 1);
  const successNode = fields.get('successThreshold');
  if (kind !== 'readiness' && successThreshold !== undefined && successThreshold !== 1 && successNode !== undefined) {
    scope.sink.error(successNode.pos, fields.at('successThreshold'), `must be 1 for a ${PROBE_FIELDS[kind]} (got ${successThreshold})`);
  }
  const graceNode = fields.get('terminationGracePeriodSeconds');
  let grace: number | undefined;
  if (graceNode !== undefined) {
    if (kind === 'readiness') scope.sink.error(graceNode.pos, fields.at('terminationGracePeriodSeconds'), 'only livenessProbe and startupProbe may set it (a readiness probe never stops the container)');
    else grace = readInteger(scope.sink, graceNode, fields.at('terminationGracePeriodSeconds'), { min: 1, max: SECONDS.max });
  }
  if (
    scope.sink.errorCount !== before || action === undefined || initialDelaySeconds === undefined || periodSeconds === undefined ||
    timeoutSeconds === undefined || successThreshold === undefined || failureThreshold === undefined
  ) return undefined;
  return { action, initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold, failureThreshold, ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }) };
}

/** The container's probes (empty when it has none). */
export function readKubeProbes(scope: Scope, fields: Fields, ports: readonly ContainerPort[]): ContainerProbes {
  const probes: { -readonly [K in ProbeKind]?: ProbeSpec } = {};
  for (const kind of ['startup', 'liveness', 'readiness'] as const) {
    const key = PROBE_FIELDS[kind];
    const node = fields.get(key);
    if (node === undefined) continue;
    const probe = readProbe(scope, kind, node, fields.at(key), ports);
    if (probe !== undefined) probes[kind] = probe;
  }
  return probes;
}

function readHook(scope: Scope, node: PodNode, path: string, ports: readonly ContainerPort[]): HookAction | undefined {
  const fields = readObject(scope.sink, node, path, HOOK_SHAPE);
  if (fields === undefined) return undefined;
  const key = oneHandler(scope, fields, ['exec', 'httpGet', 'sleep']);
  const handler = key === undefined ? undefined : fields.get(key);
  if (key === undefined || handler === undefined) return undefined;
  if (key === 'exec') return readExec(scope, handler, fields.at(key));
  if (key === 'httpGet') return readHttpGet(scope, handler, fields.at(key), ports);
  return readSleep(scope, handler, fields.at(key));
}

/** The container's `lifecycle` hooks (empty when it has none). */
export function readKubeLifecycle(scope: Scope, node: PodNode | undefined, path: string, ports: readonly ContainerPort[]): LifecycleHooks {
  if (node === undefined) return {};
  const fields = readObject(scope.sink, node, path, LIFECYCLE_SHAPE);
  if (fields === undefined) return {};
  const hooks: { -readonly [K in keyof LifecycleHooks]?: HookAction } = {};
  for (const name of ['postStart', 'preStop'] as const) {
    const hookNode = fields.get(name);
    if (hookNode === undefined) continue;
    const hook = readHook(scope, hookNode, fields.at(name), ports);
    if (hook !== undefined) hooks[name] = hook;
  }
  return hooks;
}
