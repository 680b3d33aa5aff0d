/**
 * @module podfile/kube-ports — a container's `ports`: containerPort 1–65535, hostPort 0–65535
 * (0 = not published), protocol TCP or UDP, IANA port names. With hostNetwork a hostPort
 * defaults to, and must equal, the containerPort (Kubernetes' defaulting). Pod-wide checks
 * (unique names, unique host bindings) are in kube-pod-checks.ts.
 */
import { PORT_SHAPE } from './kube-shapes.js';
import { POD_LIMITS } from './limits.js';
import { ipProblem, portNameProblem } from './names.js';
import type { PodNode, Position } from './node.js';
import { itemPath } from './node.js';
import { readEnum, readInteger, readList, readObject, readString, required } from './reader.js';
import type { Scope } from './scope.js';
import type { ContainerPort, PortName, Protocol } from './types.js';

/** A port with where it was written, for pod-wide checks. */
export interface LocatedPort {
  readonly port: ContainerPort;
  readonly path: string;
  readonly pos: Position;
}

function readPort(scope: Scope, node: PodNode, path: string, hostNetwork: boolean): LocatedPort | undefined {
  const fields = readObject(scope.sink, node, path, PORT_SHAPE);
  if (fields === undefined) return undefined;
  const before = scope.sink.errorCount;
  const portNode = required(scope.sink, fields, 'containerPort');
  const containerPort = portNode === undefined ? undefined : readInteger(scope.sink, portNode, fields.at('containerPort'), { min: 1, max: 65535 });
  const hostNode = fields.get('hostPort');
  let hostPort = hostNode === undefined ? 0 : (readInteger(scope.sink, hostNode, fields.at('hostPort'), { min: 0, max: 65535 }) ?? 0);
  const protocolNode = fields.get('protocol');
  let protocol: Protocol | undefined = 'TCP';
  if (protocolNode !== undefined) {
    if (protocolNode.kind === 'scalar' && protocolNode.value === 'SCTP') {
      scope.sink.error(protocolNode.pos, fields.at('protocol'), 'protocol SCTP is not supported by rocklet v1: use TCP or UDP');
      protocol = undefined;
    } else protocol = readEnum(scope.sink, protocolNode, fields.at('protocol'), ['TCP', 'UDP'] as const);
  }
  const nameNode = fields.get('name');
  const name = nameNode === undefined ? undefined : readString(scope.sink, nameNode, fields.at('name'));
  if (name !== undefined && nameNode !== undefined) {
    const problem = portNameProblem(name);
    if (problem !== undefined) scope.sink.error(nameNode.pos, fields.at('name'), problem);
  }
  const ipNode = fields.get('hostIP');
  const hostIP = ipNode === undefined ? undefined : readString(scope.sink, ipNode, fields.at('hostIP'));
  if (hostIP !== undefined && ipNode !== undefined) {
    const problem = ipProblem(hostIP);
    if (problem !== undefined) scope.sink.error(ipNode.pos, fields.at('hostIP'), problem);
    else if (hostPort === 0 && !hostNetwork) scope.sink.error(ipNode.pos, fields.at('hostIP'), 'hostIP has no effect without hostPort');
  }
  if (hostNetwork && containerPort !== undefined) {
    if (hostPort !== 0 && hostPort !== containerPort) {
      scope.sink.error(hostNode?.pos ?? node.pos, fields.at('hostPort'), `with hostNetwork, hostPort must equal containerPort (${containerPort}), got ${hostPort}`);
    }
    hostPort = containerPort;
  }
  if (scope.sink.errorCount !== before || containerPort === undefined || protocol === undefined) return undefined;
  const port: ContainerPort = {
    ...(name === undefined ? {} : { name: name as PortName }),
    containerPort,
    protocol,
    ...(hostPort === 0 ? {} : { hostPort }),
    ...(hostIP === undefined ? {} : { hostIP }),
  };
  return { port, path, pos: node.pos };
}

/** Reads `ports` (absent = none). */
export function readKubePorts(scope: Scope, node: PodNode | undefined, path: string, hostNetwork: boolean): LocatedPort[] {
  const items = node === undefined ? [] : (readList(scope.sink, node, path, POD_LIMITS.portsPerContainer) ?? []);
  const ports: LocatedPort[] = [];
  items.forEach((item, index) => {
    const port = readPort(scope, item, itemPath(path, index), hostNetwork);
    if (port !== undefined) ports.push(port);
  });
  return ports;
}
