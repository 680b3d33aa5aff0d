/**
 * @module net/config — the typed network configuration and the pod id used in names.
 *
 * Defaults follow DESIGN.md §4: leases under `/var/lib/rocklet/net/<bridge>/` (one directory per
 * network so two bridges never share an address pool), netns files under `/run/rocklet/netns/`.
 */
import path from 'node:path';
import { invalidArgument } from '../util/index.js';
import type { Ipv4Subnet } from './address.js';
import { parseSubnet } from './address.js';

/** `host`: the invoker's netns; `none`: loopback only; `default`: bridge + veth + IP lease. */
export const NETWORK_MODES = ['host', 'none', 'default'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

export const DEFAULT_BRIDGE_NAME = 'rocklet0';
export const DEFAULT_SUBNET = '172.16.28.0/24';
export const DEFAULT_DATA_DIR = '/var/lib/rocklet';
export const DEFAULT_NETNS_DIR = '/run/rocklet/netns';

/** Everything the network layer needs to know about the pod network, parsed. */
export interface NetworkConfig {
  readonly bridgeName: string;
  readonly subnet: Ipv4Subnet;
  /** One lease file per pod address lives here, beside the lock files. */
  readonly leaseDir: string;
  /** Pod netns files `<netnsDir>/<podId>`. */
  readonly netnsDir: string;
}

/** Raw input of {@link parseNetworkConfig}; every field is optional. */
export interface NetworkConfigInput {
  readonly bridgeName?: string | undefined;
  readonly subnet?: string | undefined;
  /** Data root; the lease dir defaults to `<dataDir>/net/<bridgeName>`. */
  readonly dataDir?: string | undefined;
  readonly leaseDir?: string | undefined;
  readonly netnsDir?: string | undefined;
}

/** Parse a network mode (`--net=`). */
export function parseNetworkMode(text: string): NetworkMode {
  const mode = NETWORK_MODES.find((m) => m === text);
  if (mode === undefined) {
    throw invalidArgument('ERR_NET_INVALID_MODE', `network mode ${JSON.stringify(text)} is not supported`, {
      hint: `use one of: ${NETWORK_MODES.join(', ')}`,
    });
  }
  return mode;
}

const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/;

function parseBridgeName(name: string): string {
  // ≤ 15 bytes is IFNAMSIZ − 1; no dots or slashes so the name is also a sysctl path element.
  if (!IFNAME.test(name)) {
    throw invalidArgument('ERR_NET_INVALID_BRIDGE', `bridge name ${JSON.stringify(name)} is not a valid interface name`, {
      hint: 'use 1-15 characters from A-Z a-z 0-9 _ - (starting with a letter or digit)',
    });
  }
  return name;
}

function absolutePath(value: string, what: string): string {
  if (!path.isAbsolute(value)) {
    throw invalidArgument('ERR_NET_INVALID_PATH', `${what} ${JSON.stringify(value)} must be an absolute path`);
  }
  return path.normalize(value);
}

/** Parse and default a network configuration; throws ERR_NET_* on bad values. */
export function parseNetworkConfig(input: NetworkConfigInput = {}): NetworkConfig {
  const bridgeName = parseBridgeName(input.bridgeName ?? DEFAULT_BRIDGE_NAME);
  const subnet = parseSubnet(input.subnet ?? DEFAULT_SUBNET);
  const dataDir = absolutePath(input.dataDir ?? DEFAULT_DATA_DIR, 'data dir');
  const leaseDir = absolutePath(input.leaseDir ?? path.join(dataDir, 'net', bridgeName), 'lease dir');
  const netnsDir = absolutePath(input.netnsDir ?? DEFAULT_NETNS_DIR, 'netns dir');
  // Netns paths are written into `ip -batch` lines, which split on whitespace.
  if (/\s/.test(netnsDir)) {
    throw invalidArgument('ERR_NET_INVALID_PATH', `netns dir ${JSON.stringify(netnsDir)} must not contain whitespace`);
  }
  return { bridgeName, subnet, leaseDir, netnsDir };
}

declare const podIdBrand: unique symbol;
/**
 * The id a pod's network resources are keyed by (the pod UUID in practice). It appears in
 * file names and nft chain names, so it is limited to `[A-Za-z0-9_.-]`.
 */
export type PodId = string & { readonly [podIdBrand]: true };

const POD_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** True when `text` is a valid {@link PodId}. */
export function isPodId(text: string): text is PodId {
  return POD_ID.test(text);
}

/** Parse a pod id: 1-100 characters from `A-Z a-z 0-9 _ . -`, starting with a letter or digit. */
export function parsePodId(text: string): PodId {
  if (!isPodId(text)) {
    throw invalidArgument('ERR_NET_INVALID_POD_ID', `pod id ${JSON.stringify(text)} cannot name network resources`, {
      hint: 'use 1-100 characters from A-Z a-z 0-9 _ . - starting with a letter or digit (a UUID works)',
    });
  }
  return text;
}
