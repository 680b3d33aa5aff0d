/**
 * @module net/address — IPv4 addresses and subnets, parsed once into branded values.
 *
 * Pod networking is IPv4 only (the bridge, leases and nft rules); IPv6 appears only as a
 * value a user may write into /etc/hosts or resolv.conf, validated with node:net.
 * Addresses are dotted quads with no leading zeros (`010.0.0.1` is ambiguous: octal to some
 * tools, decimal to others), so every accepted string has exactly one meaning.
 */
import { isIPv6 } from 'node:net';
import { invalidArgument } from '../util/index.js';

declare const ipv4Brand: unique symbol;
/** A canonical dotted-quad IPv4 address, e.g. `172.16.28.2`; only {@link parseIpv4} makes one. */
export type Ipv4Address = string & { readonly [ipv4Brand]: true };

declare const ipBrand: unique symbol;
/** An IPv4 or IPv6 address as written in /etc/hosts and resolv.conf. */
export type IpAddress = string & { readonly [ipBrand]: true };

/** A parsed IPv4 subnet such as `172.16.28.0/24`. The gateway is its first address. */
export interface Ipv4Subnet {
  /** Canonical `network/prefix` text. */
  readonly cidr: string;
  readonly network: Ipv4Address;
  readonly prefixLength: number;
  /** The bridge's address: network + 1. */
  readonly gateway: Ipv4Address;
  /** First address a pod may lease (gateway + 1). */
  readonly firstPodAddress: Ipv4Address;
  /** Last address a pod may lease (broadcast − 1). */
  readonly lastPodAddress: Ipv4Address;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Numeric value of an IPv4 address (0 … 2^32−1). */
export function ipv4ToNumber(address: Ipv4Address): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** The address of a number in 0 … 2^32−1. */
export function numberToIpv4(value: number): Ipv4Address {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`not an IPv4 number: ${value}`);
  const octets = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  return octets.join('.') as Ipv4Address;
}

/** The address when `text` is a canonical dotted quad, else undefined. */
export function tryParseIpv4(text: string): Ipv4Address | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  for (const part of parts) {
    if (!OCTET.test(part) || Number(part) > 255) return undefined;
  }
  return text as Ipv4Address;
}

/** Parse an IPv4 address; `what` names the field in the error (e.g. `host IP`). */
export function parseIpv4(text: string, what = 'IPv4 address'): Ipv4Address {
  const address = tryParseIpv4(text);
  if (address === undefined) {
    throw invalidArgument('ERR_NET_INVALID_IP', `${what} ${JSON.stringify(text)} is not a valid IPv4 address`, {
      hint: 'write four decimal numbers 0-255 without leading zeros, e.g. 10.0.0.1',
    });
  }
  return address;
}

/** Parse an IPv4 or IPv6 address (hosts entries, nameservers). */
export function parseIpAddress(text: string, what = 'IP address'): IpAddress {
  if (tryParseIpv4(text) !== undefined || isIPv6(text)) return text as IpAddress;
  throw invalidArgument('ERR_NET_INVALID_IP', `${what} ${JSON.stringify(text)} is not a valid IPv4 or IPv6 address`);
}

function badCidr(text: string, why: string, hint?: string): Error {
  return invalidArgument('ERR_NET_INVALID_CIDR', `subnet ${JSON.stringify(text)} ${why}`, {
    hint: hint ?? 'write it as NETWORK/PREFIX, e.g. 172.16.28.0/24',
  });
}

/**
 * Parse a pod subnet in CIDR notation. It must be the network address itself (no host bits),
 * leave room for the gateway and at least one pod (prefix ≤ 30), and not be a loopback,
 * multicast, reserved or unspecified range.
 */
export function parseSubnet(text: string): Ipv4Subnet {
  const slash = text.indexOf('/');
  if (slash < 0) throw badCidr(text, 'has no prefix length');
  const address = tryParseIpv4(text.slice(0, slash));
  if (address === undefined) throw badCidr(text, 'does not start with a valid IPv4 address');
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]?)$/.test(prefixText) || Number(prefixText) > 32) {
    throw badCidr(text, 'has an invalid prefix length (expected 0-32)');
  }
  const prefixLength = Number(prefixText);
  if (prefixLength > 30) {
    throw badCidr(text, `is too small: a /${prefixLength} has no room for a gateway and a pod`, 'use a prefix of /30 or shorter, e.g. /24');
  }
  if (prefixLength < 8) throw badCidr(text, `is too large: a /${prefixLength} is not a pod subnet`, 'use a prefix between /8 and /30');
  const size = 2 ** (32 - prefixLength);
  const value = ipv4ToNumber(address);
  const network = value - (value % size);
  if (network !== value) throw badCidr(text, 'has host bits set', `did you mean ${numberToIpv4(network)}/${prefixLength}?`);
  const firstOctet = value >>> 24;
  if (firstOctet === 0 || firstOctet === 127 || firstOctet >= 224) {
    throw badCidr(text, 'is an unspecified, loopback, multicast or reserved range', 'use a private range such as 172.16.28.0/24');
  }
  return {
    cidr: `${address}/${prefixLength}`,
    network: address,
    prefixLength,
    gateway: numberToIpv4(network + 1),
    firstPodAddress: numberToIpv4(network + 2),
    lastPodAddress: numberToIpv4(network + size - 2),
  };
}

/** True when `address` lies inside `subnet` (network and broadcast included). */
export function subnetContains(subnet: Ipv4Subnet, address: Ipv4Address): boolean {
  const size = 2 ** (32 - subnet.prefixLength);
  const offset = ipv4ToNumber(address) - ipv4ToNumber(subnet.network);
  return offset >= 0 && offset < size;
}

/** Number of addresses pods can lease in `subnet`. */
export function podAddressCount(subnet: Ipv4Subnet): number {
  return ipv4ToNumber(subnet.lastPodAddress) - ipv4ToNumber(subnet.firstPodAddress) + 1;
}
