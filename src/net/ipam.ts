/**
 * @module net/ipam — IP address leases on disk, one file per leased address.
 *
 * `<leaseDir>/<ip>` holds `{podId, ip, ports}` as JSON, written atomically; `<leaseDir>/.lock`
 * (an exclusive OFD lock) serialises every change, so concurrent `pod up`s in several processes
 * get distinct addresses and a crash never leaves a half-written lease. The lease also records
 * the pod's port forwards: checking a new pod's host ports against every other lease under the
 * same lock makes the conflict check and the reservation one atomic step.
 * Addresses are handed out round-robin after `.last-reserved` (as CNI host-local does), so a
 * just-released address is not reused at once while stale conntrack/ARP entries may point at it.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { conflict, errnoCode, invalidArgument, isAtomicTempName, readTextIfExists, unavailable, withLock, writeFileAtomic, writeJsonAtomic } from '../util/index.js';
import type { Ipv4Address, Ipv4Subnet } from './address.js';
import { ipv4ToNumber, numberToIpv4, podAddressCount, subnetContains, tryParseIpv4 } from './address.js';
import type { PodId } from './config.js';
import { parsePodId } from './config.js';
import type { PortForward } from './ports.js';
import { assertDistinctPorts, describeHostPort, parsePortForward, portsClash } from './ports.js';

/** The part of the network config IPAM needs. */
export interface IpamConfig {
  readonly leaseDir: string;
  readonly subnet: Ipv4Subnet;
}

/** One leased address and the host ports forwarded to it. */
export interface Lease {
  readonly podId: PodId;
  readonly ip: Ipv4Address;
  readonly ports: readonly PortForward[];
}

/** Options of {@link acquireLease}. */
export interface AcquireLeaseOptions {
  readonly ports?: readonly PortForward[] | undefined;
  /** Extra check of the ports, run under the lease lock before anything is written (host listeners). */
  readonly checkPorts?: ((ports: readonly PortForward[]) => Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
}

const LOCK_FILE = '.lock';
const LAST_FILE = '.last-reserved';

function corrupt(file: string, why: string, cause?: unknown): Error {
  return invalidArgument('ERR_NET_LEASE_CORRUPT', `lease file ${file} ${why}`, {
    hint: 'remove the file if no pod uses that address any more',
    cause,
  });
}

function parseLease(file: string, ip: Ipv4Address, text: string): Lease {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, 'is not valid JSON', error);
  }
  if (typeof value !== 'object' || value === null) throw corrupt(file, 'is not a JSON object');
  const record = value as Record<string, unknown>;
  if (typeof record.podId !== 'string' || record.ip !== ip || !Array.isArray(record.ports)) {
    throw corrupt(file, 'does not hold {podId, ip, ports} for its own address');
  }
  try {
    const ports = (record.ports as unknown[]).map((p) => parsePortForward(p as Parameters<typeof parsePortForward>[0]));
    return { podId: parsePodId(record.podId), ip, ports };
  } catch (error) {
    throw corrupt(file, 'holds an invalid pod id or port', error);
  }
}

/** Read every lease in the directory (any subnet); a lease removed meanwhile is skipped. */
export async function listLeases(leaseDir: string): Promise<Lease[]> {
  let names: string[];
  try {
    names = await readdir(leaseDir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const leases: Lease[] = [];
  for (const name of names.sort()) {
    const ip = tryParseIpv4(name);
    if (ip === undefined) continue;
    const file = path.join(leaseDir, name);
    try {
      leases.push(parseLease(file, ip, await readFile(file, 'utf8')));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
  return leases;
}

/** The lease of `podId`, if it has one. */
export async function findLease(leaseDir: string, podId: PodId): Promise<Lease | undefined> {
  return (await listLeases(leaseDir)).find((lease) => lease.podId === podId);
}

async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

async function withLeaseLock<T>(leaseDir: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  await mkdir(leaseDir, { recursive: true, mode: 0o755 });
  return withLock(path.join(leaseDir, LOCK_FILE), 'exclusive', async () => {
    // Every writer holds this lock, so a temp file seen now is a crash leftover.
    for (const name of await readdir(leaseDir)) {
      if (isAtomicTempName(name)) await removeFile(path.join(leaseDir, name));
    }
    return fn();
  }, { signal });
}

async function readLast(leaseDir: string): Promise<Ipv4Address | undefined> {
  const text = await readTextIfExists(path.join(leaseDir, LAST_FILE));
  return text === undefined ? undefined : tryParseIpv4(text.trim());
}

function pickAddress(subnet: Ipv4Subnet, used: ReadonlySet<string>, last: Ipv4Address | undefined): Ipv4Address | undefined {
  const first = ipv4ToNumber(subnet.firstPodAddress);
  const count = podAddressCount(subnet);
  const start = last !== undefined && subnetContains(subnet, last) ? ipv4ToNumber(last) - first + 1 : 0;
  for (let i = 0; i < count; i++) {
    const candidate = numberToIpv4(first + ((start + i) % count));
    if (!used.has(candidate)) return candidate;
  }
  return undefined;
}

function checkPortConflicts(leases: readonly Lease[], podId: PodId, ports: readonly PortForward[]): void {
  for (const port of ports) {
    for (const other of leases) {
      if (other.podId === podId) continue;
      const taken = other.ports.find((p) => portsClash(p, port));
      if (taken !== undefined) {
        throw conflict(
          'ERR_NET_PORT_CONFLICT',
          `host port ${describeHostPort(port)} is already forwarded to pod "${other.podId}" (as ${describeHostPort(taken)})`,
          { hint: 'pick another host port or stop that pod first' },
        );
      }
    }
  }
}

/**
 * Lease an address for `podId` and record its port forwards. Idempotent: a pod that already
 * holds a lease keeps its address (its ports are replaced). Throws ERR_NET_PORT_CONFLICT when
 * another pod forwards one of the host ports and ERR_NET_EXHAUSTED when the subnet is full.
 */
export async function acquireLease(config: IpamConfig, podId: PodId, options: AcquireLeaseOptions = {}): Promise<Lease> {
  const ports = options.ports ?? [];
  assertDistinctPorts(ports);
  return withLeaseLock(config.leaseDir, options.signal, async () => {
    const leases = await listLeases(config.leaseDir);
    checkPortConflicts(leases, podId, ports);
    if (ports.length > 0) await options.checkPorts?.(ports);
    const own = leases.find((lease) => lease.podId === podId);
    const ip =
      own?.ip ??
      pickAddress(config.subnet, new Set(leases.map((lease) => lease.ip)), await readLast(config.leaseDir));
    if (ip === undefined) {
      const count = podAddressCount(config.subnet);
      throw unavailable(
        'ERR_NET_EXHAUSTED',
        `no free address left in subnet ${config.subnet.cidr} (${count} pod address${count === 1 ? '' : 'es'}, all leased)`,
        { hint: 'remove exited pods (rocklet gc) or configure a larger subnet' },
      );
    }
    const lease: Lease = { podId, ip, ports: [...ports] };
    await writeJsonAtomic(path.join(config.leaseDir, ip), lease);
    if (own === undefined) await writeFileAtomic(path.join(config.leaseDir, LAST_FILE), `${ip}\n`);
    return lease;
  });
}

/** Release every lease of `podId`; returns the released addresses (empty when it held none). */
export async function releaseLease(leaseDir: string, podId: PodId, signal?: AbortSignal): Promise<Ipv4Address[]> {
  return withLeaseLock(leaseDir, signal, async () => {
    const mine = (await listLeases(leaseDir)).filter((lease) => lease.podId === podId);
    for (const lease of mine) await removeFile(path.join(leaseDir, lease.ip));
    return mine.map((lease) => lease.ip);
  });
}

/**
 * Release the leases of pods that no longer exist (`isPodAlive` answers false). Only the
 * lease files: use the pod-network collector to also remove veths, rules and netns files.
 */
export async function reclaimLeases(
  leaseDir: string,
  isPodAlive: (podId: PodId) => boolean | Promise<boolean>,
  signal?: AbortSignal,
): Promise<Lease[]> {
  return withLeaseLock(leaseDir, signal, async () => {
    const reclaimed: Lease[] = [];
    for (const lease of await listLeases(leaseDir)) {
      if (await isPodAlive(lease.podId)) continue;
      await removeFile(path.join(leaseDir, lease.ip));
      reclaimed.push(lease);
    }
    return reclaimed;
  });
}
