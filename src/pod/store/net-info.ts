/**
 * @module pod/store/net-info — what the runtime records about a pod's network, for `list`
 * (NETWORKS), `status` (`networks=`) and for gc after a reboot:
 *
 * - `net-info.json`: the networks the pod joined, `[{netName, ifName?, ip?, prefixLength?, gateway?}]`
 *   (rkt's file had `netName, ifName, ip, mask, …` in the same place).
 * - `netns`: the path of the pod's network namespace file, one line.
 * - `net-config.json`: the pod network the pod's network was made in (`{bridge, subnet, leaseDir,
 *   netnsDir}`, config.yaml's at `pod up`), so teardown finds its lease, veth and nft chains even
 *   after config.yaml changed.
 *
 * The store only reads and writes these; the runtime (net layer) decides their content.
 */
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../util/index.js';
import { POD_FILES } from './layout.js';
import { corrupt, parseJsonFile, readOptional } from './pod-files.js';

/** `<pod>/net-config.json` (see {@link PodNetworkRecord}). */
export const NET_CONFIG_FILE = 'net-config.json';

/** One network a pod is attached to. */
export interface PodNetworkInfo {
  /** `default`, `host`, `none`, or a named network. */
  readonly netName: string;
  /** Interface inside the pod, e.g. `eth0`. */
  readonly ifName?: string;
  /** The pod's address on this network. */
  readonly ip?: string;
  readonly prefixLength?: number;
  readonly gateway?: string;
}

const OPTIONAL_STRINGS = ['ifName', 'ip', 'gateway'] as const;

/** Record the pod's networks (replaces the previous record). */
export async function writeNetInfo(podDir: string, networks: readonly PodNetworkInfo[]): Promise<void> {
  // Describes the running pod's networks only (after a crash they are gone): no fsync.
  await writeJsonAtomic(path.join(podDir, POD_FILES.netInfo), networks, { mode: 0o644, durable: false });
}

/** The recorded networks; empty when none were recorded. */
export async function readNetInfo(podDir: string): Promise<PodNetworkInfo[]> {
  const file = path.join(podDir, POD_FILES.netInfo);
  const text = await readOptional(file);
  if (text === undefined) return [];
  const value = parseJsonFile(file, text);
  if (!Array.isArray(value)) return corrupt(file, 'must be a JSON array');
  return value.map((entry: unknown, i) => parseNetwork(file, entry, i));
}

function parseNetwork(file: string, entry: unknown, index: number): PodNetworkInfo {
  if (typeof entry !== 'object' || entry === null) return corrupt(file, `[${index}] must be an object`);
  const record = entry as Record<string, unknown>;
  if (typeof record.netName !== 'string' || record.netName === '') return corrupt(file, `[${index}].netName must be a non-empty string`);
  const out: Record<string, string | number> = { netName: record.netName };
  for (const key of OPTIONAL_STRINGS) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') return corrupt(file, `[${index}].${key} must be a string`);
    out[key] = value;
  }
  const prefix = record.prefixLength;
  if (prefix !== undefined) {
    if (typeof prefix !== 'number' || !Number.isInteger(prefix) || prefix < 0 || prefix > 128) {
      return corrupt(file, `[${index}].prefixLength must be an integer 0–128`);
    }
    out.prefixLength = prefix;
  }
  return out as unknown as PodNetworkInfo;
}

/** rkt's NETWORKS rendering: `netname:ip4=A.B.C.D`, comma+space separated (networks without an IP show their name). */
export function formatNetworks(networks: readonly PodNetworkInfo[]): string {
  return networks.map((net) => (net.ip === undefined ? net.netName : `${net.netName}:ip4=${net.ip}`)).join(', ');
}

/** Record the path of the pod's network namespace file. */
export async function writeNetnsPath(podDir: string, netnsPath: string): Promise<void> {
  if (!path.isAbsolute(netnsPath) || netnsPath.includes('\n')) throw new Error(`writeNetnsPath: not an absolute path: ${netnsPath}`);
  // Read only while the pod runs (app prepare); a start writes it again: no fsync needed.
  await writeFileAtomic(path.join(podDir, POD_FILES.netns), `${netnsPath}\n`, { mode: 0o644, durable: false });
}

/** The recorded netns path, or undefined when none was recorded (host network, or not yet). */
export async function readNetnsPath(podDir: string): Promise<string | undefined> {
  const file = path.join(podDir, POD_FILES.netns);
  const text = await readOptional(file);
  if (text === undefined) return undefined;
  const value = text.trim();
  if (!path.isAbsolute(value)) return corrupt(file, 'must hold an absolute path');
  return value;
}

/**
 * The pod network a pod's network was created in, as text; the runtime parses it back into the
 * net layer's NetworkConfig (values are not checked here).
 */
export interface PodNetworkRecord {
  readonly bridge: string;
  /** `network/prefix`. */
  readonly subnet: string;
  readonly leaseDir: string;
  readonly netnsDir: string;
}

const RECORD_KEYS = ['bridge', 'subnet', 'leaseDir', 'netnsDir'] as const;

/** Record the pod network the pod's network is about to be made in (replaces any earlier record). */
export async function writeNetworkRecord(podDir: string, record: PodNetworkRecord): Promise<void> {
  // No fsync, like net-info.json: a record lost in a crash falls back to config.yaml (runtime).
  const { bridge, subnet, leaseDir, netnsDir } = record;
  await writeJsonAtomic(path.join(podDir, NET_CONFIG_FILE), { bridge, subnet, leaseDir, netnsDir }, { mode: 0o644, durable: false });
}

/** The recorded pod network; undefined when none was recorded, `ERR_POD_FILE_CORRUPT` when unreadable. */
export async function readNetworkRecord(podDir: string): Promise<PodNetworkRecord | undefined> {
  const file = path.join(podDir, NET_CONFIG_FILE);
  const text = await readOptional(file);
  if (text === undefined) return undefined;
  const value = parseJsonFile(file, text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return corrupt(file, 'must be a JSON object');
  const record = value as Record<string, unknown>;
  const out: Partial<Record<(typeof RECORD_KEYS)[number], string>> = {};
  for (const key of RECORD_KEYS) {
    const item = record[key];
    if (typeof item !== 'string' || item === '') return corrupt(file, `${key} must be a non-empty string`);
    out[key] = item;
  }
  return out as PodNetworkRecord;
}
