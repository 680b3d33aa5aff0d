/**
 * @module net/pod-network — set up and tear down one pod's network (what `pod up`/`pod down` call).
 *
 * Setup order: netns file → lease (address + ports, conflict checks) → bridge → veth → nft.
 * Teardown order: nft → veth → netns file → lease. The lease goes last, so after a crash at any
 * point of either, every leftover of a `default` pod is still findable from a lease (or, for
 * `none`, from its netns file): {@link collectPodNetworks} finds them, and re-running create or
 * destroy for the pod finishes the job. The caller serialises calls for one pod (the pod lock).
 */
import { readdir } from 'node:fs/promises';
import { conflict, errnoCode, invalidArgument, isAtomicTempName, runtimeFailure } from '../util/index.js';
import type { Ipv4Address } from './address.js';
import { ensureBridge } from './bridge.js';
import type { NetworkConfig, NetworkMode, PodId } from './config.js';
import { isPodId } from './config.js';
import type { HostNetns } from './host-netns.js';
import { acquireLease, findLease, listLeases, releaseLease } from './ipam.js';
import { ensureNetnsFile, podNetnsPath, removeNetnsFile } from './netns.js';
import { applyPodRules, listPodRuleOwners, podRulesScript, removePodRules } from './nft.js';
import type { PortForward } from './ports.js';
import { describeHostPort } from './ports.js';
import { findListenerClash, readHostListeners } from './proc-net.js';
import { POD_INTERFACE, removeVeth, setUpLoopback, setUpVeth } from './veth.js';

/** Options of {@link createPodNetwork}. */
export interface CreatePodNetworkOptions {
  readonly mode: NetworkMode;
  /** Only in `default` mode. */
  readonly ports?: readonly PortForward[] | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What {@link createPodNetwork} made, by mode. */
export type PodNetwork =
  | { readonly mode: 'host'; readonly podId: PodId }
  | { readonly mode: 'none'; readonly podId: PodId; readonly netnsPath: string }
  | {
      readonly mode: 'default';
      readonly podId: PodId;
      readonly netnsPath: string;
      readonly ip: Ipv4Address;
      readonly prefixLength: number;
      readonly gateway: Ipv4Address;
      /** Host end of the veth pair (on the bridge). */
      readonly hostVeth: string;
      /** Interface name inside the pod. */
      readonly podInterface: string;
      readonly ports: readonly PortForward[];
    };

async function checkHostListeners(host: HostNetns, ports: readonly PortForward[]): Promise<void> {
  for (const protocol of new Set(ports.map((p) => p.protocol))) {
    const listeners = await readHostListeners(host, protocol);
    for (const port of ports) {
      const clash = findListenerClash(port, listeners);
      if (clash !== undefined) {
        throw conflict(
          'ERR_NET_PORT_IN_USE',
          `host port ${describeHostPort(port)} is already in use by a process on the host (bound to ${clash.address}:${clash.port})`,
          { hint: 'stop that process or pick another host port' },
        );
      }
    }
  }
}

async function createDefault(config: NetworkConfig, host: HostNetns, podId: PodId, netnsPath: string, options: CreatePodNetworkOptions): Promise<PodNetwork> {
  const { signal } = options;
  const lease = await acquireLease(config, podId, {
    ports: options.ports,
    checkPorts: (ports) => checkHostListeners(host, ports),
    signal,
  });
  await ensureBridge(config, host, signal);
  const hostVeth = await setUpVeth(host, { podId, podNetns: netnsPath, bridgeName: config.bridgeName, subnet: config.subnet, ip: lease.ip, signal });
  // The bridge's chain masquerades every pod; only host ports need chains of the pod's own.
  if (lease.ports.length > 0) await applyPodRules(host, podRulesScript(podId, lease.ip, config.subnet, lease.ports), signal);
  return {
    mode: 'default',
    podId,
    netnsPath,
    ip: lease.ip,
    prefixLength: config.subnet.prefixLength,
    gateway: config.subnet.gateway,
    hostVeth,
    podInterface: POD_INTERFACE,
    ports: lease.ports,
  };
}

/**
 * Create the network of pod `podId` in `mode`. Idempotent: re-running it for a pod whose setup
 * was interrupted completes it (the pod keeps its address). On failure everything this call
 * may have made is removed again and the original error is thrown.
 */
export async function createPodNetwork(config: NetworkConfig, host: HostNetns, podId: PodId, options: CreatePodNetworkOptions): Promise<PodNetwork> {
  const ports = options.ports ?? [];
  if (options.mode !== 'default' && ports.length > 0) {
    throw invalidArgument('ERR_NET_PORTS_NEED_DEFAULT', `port forwards need the default network, not --net=${options.mode}`, {
      hint: options.mode === 'host' ? 'with --net=host the app binds host ports itself; drop --port' : 'use --net=default',
    });
  }
  if (options.mode === 'host') return { mode: 'host', podId };
  const netnsPath = podNetnsPath(config.netnsDir, podId);
  try {
    // A new namespace gets lo up as it is made; one kept from an interrupted setup gets it
    // (again) here. `default` brings lo up with the pod's veth anyway.
    const created = await ensureNetnsFile(netnsPath);
    if (options.mode === 'none') {
      if (!created) await setUpLoopback(netnsPath, options.signal);
      return { mode: 'none', podId, netnsPath };
    }
    return await createDefault(config, host, podId, netnsPath, options);
  } catch (error) {
    try {
      await destroyPodNetwork(config, host, podId);
    } catch (cleanupError) {
      throw runtimeFailure('ERR_NET_CLEANUP_FAILED', `pod ${podId}: network setup failed and so did its cleanup: ${String(cleanupError)}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** What {@link destroyPodNetwork} found and removed. */
export interface DestroyPodNetworkResult {
  readonly vethRemoved: boolean;
  readonly netnsRemoved: boolean;
  readonly releasedAddresses: readonly Ipv4Address[];
}

/** Options of {@link destroyPodNetwork}. */
export interface DestroyPodNetworkOptions {
  /**
   * Remove nft chains and veth even when the pod holds no lease (default false). Without a lease
   * there are none of either — setup takes the lease before making them and teardown releases it
   * after removing them — so `pod down` of a `none` pod forks neither `nft` nor `ip`; the
   * collector, which also finds pods by their chains, asks for the thorough teardown.
   */
  readonly evenWithoutLease?: boolean;
}

/** Remove everything of pod `podId`'s network, whatever its mode. Idempotent. */
export async function destroyPodNetwork(
  config: NetworkConfig,
  host: HostNetns,
  podId: PodId,
  signal?: AbortSignal,
  options: DestroyPodNetworkOptions = {},
): Promise<DestroyPodNetworkResult> {
  let vethRemoved = false;
  if (options.evenWithoutLease === true || (await findLease(config.leaseDir, podId)) !== undefined) {
    await removePodRules(host, podId, signal);
    vethRemoved = await removeVeth(host, podId, signal);
  }
  const netnsRemoved = await removeNetnsFile(podNetnsPath(config.netnsDir, podId));
  const releasedAddresses = await releaseLease(config.leaseDir, podId, signal);
  return { vethRemoved, netnsRemoved, releasedAddresses };
}

/** Ids of pods that have any network leftover: a lease, a netns file or nft chains. */
export async function listPodNetworkOwners(config: NetworkConfig, host: HostNetns): Promise<PodId[]> {
  const ids = new Set<string>((await listLeases(config.leaseDir)).map((lease) => lease.podId));
  try {
    for (const name of await readdir(config.netnsDir)) if (!isAtomicTempName(name)) ids.add(name);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  for (const id of await listPodRuleOwners(host)) ids.add(id);
  // A name rocklet cannot have made is someone else's file: leave it alone.
  return [...ids].sort().filter(isPodId);
}

/** Destroy the network of every pod that `isPodAlive` says is gone; returns their ids. */
export async function collectPodNetworks(
  config: NetworkConfig,
  host: HostNetns,
  isPodAlive: (podId: PodId) => boolean | Promise<boolean>,
  signal?: AbortSignal,
): Promise<PodId[]> {
  const collected: PodId[] = [];
  for (const podId of await listPodNetworkOwners(config, host)) {
    if (await isPodAlive(podId)) continue;
    await destroyPodNetwork(config, host, podId, signal, { evenWithoutLease: true });
    collected.push(podId);
  }
  return collected;
}
