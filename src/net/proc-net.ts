/**
 * @module net/proc-net — which host ports local processes already hold, from /proc/net.
 *
 * `/proc/net/{tcp,tcp6,udp,udp6}` list the sockets of the reader's network namespace.
 * Addresses are hex dumps of 32-bit words in the machine's byte order; ports are big hex.
 * A TCP socket holds a port when it listens (state 0A); a UDP socket when it is bound and
 * unconnected (state 07). Forwarded ports are DNATed before a local socket would see them, so
 * such a socket would silently lose its traffic: a clash is reported instead.
 */
import { endianness } from 'node:os';
import type { HostNetns } from './host-netns.js';
import { readHostProcNet } from './host-netns.js';
import type { PortForward, PortProtocol } from './ports.js';

/** A socket of a host process that owns a local port. */
export interface HostListener {
  readonly protocol: PortProtocol;
  /** Local address in dotted (IPv4) or compact hex (IPv6) form; `0.0.0.0` / `::` for any. */
  readonly address: string;
  /** The IPv4 address this socket receives: itself, the v4 part of a mapped IPv6 address, or `0.0.0.0` for any. */
  readonly ipv4: string | undefined;
  readonly port: number;
}

const HOLDING_STATE: Readonly<Record<PortProtocol, string>> = { tcp: '0A', udp: '07' };

function wordBytes(hex: string): number[] {
  const value = Number.parseInt(hex, 16);
  const be = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  return endianness() === 'LE' ? be.reverse() : be;
}

function decodeAddress(hex: string): { address: string; ipv4: string | undefined } {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap(wordBytes);
  if (bytes.length === 4) {
    const address = bytes.join('.');
    return { address, ipv4: address };
  }
  const allZero = bytes.every((b) => b === 0);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return {
    address: allZero ? '::' : groups.join(':'),
    ipv4: allZero ? '0.0.0.0' : mapped ? bytes.slice(12).join('.') : undefined,
  };
}

/** Parse the text of /proc/net/{tcp,udp}[6] files (one protocol, concatenated) into the sockets that hold a port. */
export function parseProcNetSockets(text: string, protocol: PortProtocol): HostListener[] {
  const listeners: HostListener[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (fields[0] === 'sl' || local === undefined || fields[3] !== HOLDING_STATE[protocol]) continue;
    const [addressHex, portHex] = local.split(':');
    if (addressHex === undefined || portHex === undefined || !/^([0-9A-F]{8}){1,4}$/i.test(addressHex)) continue;
    listeners.push({ protocol, ...decodeAddress(addressHex), port: Number.parseInt(portHex, 16) });
  }
  return listeners;
}

/** All sockets holding a port of `protocol` in the host namespace (IPv4 and IPv6). */
export async function readHostListeners(host: HostNetns, protocol: PortProtocol): Promise<HostListener[]> {
  return parseProcNetSockets(await readHostProcNet(host, [protocol, `${protocol}6`]), protocol);
}

/** The first listener that would lose traffic to `forward`, if any. */
export function findListenerClash(forward: PortForward, listeners: readonly HostListener[]): HostListener | undefined {
  return listeners.find((l) => {
    if (l.protocol !== forward.protocol || l.port !== forward.hostPort || l.ipv4 === undefined) return false;
    return forward.hostIP === undefined || l.ipv4 === '0.0.0.0' || l.ipv4 === forward.hostIP;
  });
}
