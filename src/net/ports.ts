/**
 * @module net/ports — port forwards from the host into a pod, validated and compared.
 *
 * A forward without a host IP (or with 0.0.0.0) answers on every local address of the host,
 * 127.0.0.1 included; with a host IP only on that address. Two forwards clash when protocol
 * and host port match and either side listens on all addresses or both name the same IP.
 */
import { invalidArgument } from '../util/index.js';
import type { Ipv4Address } from './address.js';
import { parseIpv4 } from './address.js';

export const PORT_PROTOCOLS = ['tcp', 'udp'] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];

/** One validated forward `protocol hostIP:hostPort → pod:podPort`. */
export interface PortForward {
  readonly protocol: PortProtocol;
  /** Absent: every local address of the host. */
  readonly hostIP?: Ipv4Address;
  readonly hostPort: number;
  readonly podPort: number;
}

/** Raw input of {@link parsePortForward} (pod file hostPorts, `--port` after name resolution). */
export interface PortForwardInput {
  readonly protocol?: string | undefined;
  readonly hostIP?: string | undefined;
  readonly hostPort: number | string;
  readonly podPort: number | string;
}

function parsePort(value: number | string, what: string): number {
  const port = typeof value === 'number' ? value : /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidArgument('ERR_NET_INVALID_PORT', `${what} ${JSON.stringify(value)} is not a port number (1-65535)`);
  }
  return port;
}

/** Parse one forward; protocol defaults to tcp, host IP `0.0.0.0` means all addresses. */
export function parsePortForward(input: PortForwardInput): PortForward {
  const protocolText = (input.protocol ?? 'tcp').toLowerCase();
  const protocol = PORT_PROTOCOLS.find((p) => p === protocolText);
  if (protocol === undefined) {
    throw invalidArgument('ERR_NET_INVALID_PORT', `port protocol ${JSON.stringify(input.protocol)} is not supported`, {
      hint: 'use tcp or udp',
    });
  }
  const hostPort = parsePort(input.hostPort, 'host port');
  const podPort = parsePort(input.podPort, 'pod port');
  if (input.hostIP === undefined || input.hostIP === '' || input.hostIP === '0.0.0.0') {
    return { protocol, hostPort, podPort };
  }
  return { protocol, hostIP: parseIpv4(input.hostIP, 'host IP'), hostPort, podPort };
}

/** `tcp/127.0.0.1:8080` or `tcp/8080`, for messages. */
export function describeHostPort(forward: PortForward): string {
  return `${forward.protocol}/${forward.hostIP === undefined ? '' : `${forward.hostIP}:`}${forward.hostPort}`;
}

/** True when the two forwards cannot both be installed. */
export function portsClash(a: PortForward, b: PortForward): boolean {
  if (a.protocol !== b.protocol || a.hostPort !== b.hostPort) return false;
  return a.hostIP === undefined || b.hostIP === undefined || a.hostIP === b.hostIP;
}

/** Reject a list whose own forwards clash with each other (ERR_NET_DUPLICATE_PORT). */
export function assertDistinctPorts(ports: readonly PortForward[]): void {
  ports.forEach((port, i) => {
    const other = ports.slice(0, i).find((p) => portsClash(p, port));
    if (other !== undefined) {
      throw invalidArgument(
        'ERR_NET_DUPLICATE_PORT',
        `host port ${describeHostPort(port)} is forwarded twice (to pod ports ${other.podPort} and ${port.podPort})`,
      );
    }
  });
}
