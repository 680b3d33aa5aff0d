/**
 * @module net/veth — the veth pair of a pod: host end on the bridge, `eth0` in the pod.
 *
 * The host end's name is derived from the pod id (`rlv` + 12 hex digits of its SHA-256: 15
 * characters, the kernel's limit), so teardown finds it from the pod id alone, even after a
 * crash. Both ends are made by one rtnetlink request of the native helper, the peer directly in
 * the pod's namespace.
 */
import { createHash } from 'node:crypto';
import type { Ipv4Address, Ipv4Subnet } from './address.js';
import type { PodId } from './config.js';
import { deleteLink, runtimeFailure, setUpVethPair } from '../util/index.js';
import { checked, runTool } from './exec.js';
import type { HostNetns } from './host-netns.js';
import { inNetns } from './host-netns.js';

/** The interface name of the pod end, inside the pod netns. */
export const POD_INTERFACE = 'eth0';

/** The deterministic host-side veth name of a pod (15 characters). */
export function hostVethName(podId: PodId): string {
  return `rlv${createHash('sha256').update(podId).digest('hex').slice(0, 12)}`;
}

function netlinkFailure(what: string, error: unknown): never {
  const detail = error instanceof Error ? error.message : String(error);
  throw runtimeFailure('ERR_NET_COMMAND_FAILED', `${what}: ${detail}`, { cause: error });
}

/** Delete the host end of the pod's veth (its peer goes with it). Returns whether it existed. */
export function removeVeth(host: HostNetns, podId: PodId, _signal?: AbortSignal): Promise<boolean> {
  const name = hostVethName(podId);
  try {
    return Promise.resolve(deleteLink(name, host.kind === 'file' ? host.path : undefined));
  } catch (error) {
    return netlinkFailure(`delete veth ${name}`, error);
  }
}

/** What {@link setUpVeth} needs to wire a pod. */
export interface VethOptions {
  readonly podId: PodId;
  readonly podNetns: string;
  readonly bridgeName: string;
  readonly subnet: Ipv4Subnet;
  readonly ip: Ipv4Address;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Create the pair, attach the host end to the bridge with hairpin on (a pod reaching its own
 * forwarded port through the host comes back out of the port it came in), and give the pod
 * end its address, loopback and default route via the gateway. A host end left by an
 * earlier attempt is deleted and recreated. Returns the host end's name. All of it is
 * rtnetlink requests from the native helper (no `ip` process: each cost 10–20 ms here).
 */
export function setUpVeth(host: HostNetns, options: VethOptions): Promise<string> {
  const { podId, podNetns, bridgeName, subnet, ip } = options;
  const name = hostVethName(podId);
  try {
    setUpVethPair({
      hostNetns: host.kind === 'file' ? host.path : undefined,
      podNetns,
      hostName: name,
      podName: POD_INTERFACE,
      bridge: bridgeName,
      ip,
      gateway: subnet.gateway,
      prefixLength: subnet.prefixLength,
    });
  } catch (error) {
    return netlinkFailure(`create veth ${name} for pod ${podId} on ${bridgeName}`, error);
  }
  return Promise.resolve(name);
}

/** The command that brings loopback up, run inside a pod netns. */
const LOOPBACK_UP: readonly string[] = Object.freeze(['ip', 'link', 'set', 'dev', 'lo', 'up']);

/** Bring loopback up inside a pod netns (the whole of `none` mode). */
export async function setUpLoopback(podNetns: string, signal?: AbortSignal): Promise<void> {
  checked(await runTool(inNetns(podNetns, LOOPBACK_UP), { signal }), `bring up lo in ${podNetns}`);
}
