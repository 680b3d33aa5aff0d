/**
 * @module net/veth — the veth pair of a pod: host end on the bridge, `eth0` in the pod.
 *
 * The host end's name is derived from the pod id (`rlv` + 12 hex digits of its SHA-256: 15
 * characters, the kernel's limit), so teardown finds it from the pod id alone, even after a
 * crash. Both ends are created by one `ip link add … peer … netns <file>` in the host.
 */
import { createHash } from 'node:crypto';
import type { Ipv4Address, Ipv4Subnet } from './address.js';
import type { PodId } from './config.js';
import { checked, runTool } from './exec.js';
import type { HostNetns } from './host-netns.js';
import { inNetns, runInHost } from './host-netns.js';

/** The interface name of the pod end, inside the pod netns. */
export const POD_INTERFACE = 'eth0';

/** The deterministic host-side veth name of a pod (15 characters). */
export function hostVethName(podId: PodId): string {
  return `rlv${createHash('sha256').update(podId).digest('hex').slice(0, 12)}`;
}

const MISSING_LINK = /Cannot find device|does not exist/;

/** Delete the host end of the pod's veth (its peer goes with it). Returns whether it existed. */
export async function removeVeth(host: HostNetns, podId: PodId, signal?: AbortSignal): Promise<boolean> {
  const name = hostVethName(podId);
  const result = await runInHost(host, ['ip', 'link', 'del', 'dev', name], { signal });
  if (result.code !== 0 && MISSING_LINK.test(result.stderr)) return false;
  checked(result, `delete veth ${name}`);
  return true;
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
 * earlier attempt is deleted and recreated. Returns the host end's name.
 */
export async function setUpVeth(host: HostNetns, options: VethOptions): Promise<string> {
  const { podId, podNetns, bridgeName, subnet, ip, signal } = options;
  const name = hostVethName(podId);
  // One batch: create the pair and attach the host end; a batch stops at its first error.
  const hostSide = [
    `link add ${name} type veth peer name ${POD_INTERFACE} netns ${podNetns}`,
    `link set dev ${name} master ${bridgeName}`,
    `link set dev ${name} type bridge_slave hairpin on`,
    `link set dev ${name} up`,
  ];
  const runHostSide = () => runInHost(host, ['ip', '-batch', '-'], { input: `${hostSide.join('\n')}\n`, signal });
  let result = await runHostSide();
  if (result.code !== 0 && /File exists/.test(result.stderr)) {
    await removeVeth(host, podId, signal);
    result = await runHostSide();
  }
  checked(result, `create veth ${name} for pod ${podId} on ${bridgeName}`);
  const podSide = [
    'link set dev lo up',
    `addr replace ${ip}/${subnet.prefixLength} dev ${POD_INTERFACE}`,
    `link set dev ${POD_INTERFACE} up`,
    `route replace default via ${subnet.gateway} dev ${POD_INTERFACE}`,
  ];
  checked(
    await runTool(inNetns(podNetns, ['ip', '-batch', '-']), { input: `${podSide.join('\n')}\n`, signal }),
    `configure ${POD_INTERFACE} of pod ${podId}`,
  );
  return name;
}

/** The command that brings loopback up, run inside a pod netns. */
const LOOPBACK_UP: readonly string[] = Object.freeze(['ip', 'link', 'set', 'dev', 'lo', 'up']);

/** Bring loopback up inside a pod netns (the whole of `none` mode). */
export async function setUpLoopback(podNetns: string, signal?: AbortSignal): Promise<void> {
  checked(await runTool(inNetns(podNetns, LOOPBACK_UP), { signal }), `bring up lo in ${podNetns}`);
}
