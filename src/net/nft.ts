/**
 * @module net/nft — the pod's NAT rules in the host's nft table `ip rocklet`.
 *
 * Each pod with host ports owns three *base* chains of its own, named after it
 * (`pod-<id>-pre|out|post`), hooked at prerouting (DNAT of traffic from other hosts and pods),
 * output (DNAT of the host's own traffic, 127.0.0.1 included) and postrouting (masquerade of
 * forwarded connections). Pods share only the bridge's chain `bridge-<name>-post`, which
 * masquerades the subnet's traffic leaving it (made once per bridge, bridge.ts), so a pod
 * without host ports has no chain and its set-up runs no `nft` process. Between pods,
 * so removing one pod is "delete its three chains": no rule handles, no jump rules in shared
 * chains, and another pod's rules are never touched. NAT chains only see the first packet of
 * each connection, so one chain set per pod costs nothing per packet. Every change is one
 * `nft -f -` transaction: it applies entirely or not at all.
 *
 * Rules of a pod with address P in subnet S:
 * - a forward without host IP matches `fib daddr type local` (any address of the host, and
 *   only those: a pod's outbound connection to some server's port 8080 is not hijacked);
 * - postrouting masquerades DNATed traffic to P that comes from 127.0.0.0/8 (required: a
 *   loopback source cannot leave the host) or from S (hairpin: otherwise the answer would
 *   bypass the host's conntrack). The bridge's chain masquerades S's traffic leaving S.
 */
import type { Ipv4Address, Ipv4Subnet } from './address.js';
import type { PodId } from './config.js';
import { checked } from './exec.js';
import type { HostNetns } from './host-netns.js';
import { runInHost } from './host-netns.js';
import type { PortForward } from './ports.js';

/** The nft table (family ip) that holds every rocklet rule. */
export const NFT_TABLE = 'rocklet';

const CHAINS = [
  { suffix: 'pre', hook: 'prerouting', priority: 'dstnat' },
  { suffix: 'out', hook: 'output', priority: '-100' },
  { suffix: 'post', hook: 'postrouting', priority: 'srcnat' },
] as const;

/** Names of the pod's three chains. */
export function podChainNames(podId: PodId): string[] {
  return CHAINS.map((chain) => `pod-${podId}-${chain.suffix}`);
}

function declareChains(podId: PodId): string[] {
  return CHAINS.map(
    (c) =>
      `add chain ip ${NFT_TABLE} pod-${podId}-${c.suffix} { type nat hook ${c.hook} priority ${c.priority}; policy accept; comment "rocklet pod ${podId}"; }`,
  );
}

function dnatRule(chain: string, port: PortForward, ip: Ipv4Address): string {
  const match = port.hostIP === undefined ? 'fib daddr type local' : `ip daddr ${port.hostIP}`;
  return `add rule ip ${NFT_TABLE} ${chain} ${match} ${port.protocol} dport ${port.hostPort} dnat to ${ip}:${port.podPort}`;
}

/** The name of bridge `bridge`'s masquerade chain. */
export function bridgeChainName(bridge: string): string {
  return `bridge-${bridge}-post`;
}

/** The nft script that (re)creates bridge `bridge`'s chain: masquerade what leaves `subnet` from it. */
export function bridgeRulesScript(bridge: string, subnet: Ipv4Subnet): string {
  const chain = bridgeChainName(bridge);
  return [
    `add table ip ${NFT_TABLE}`,
    `add chain ip ${NFT_TABLE} ${chain} { type nat hook postrouting priority srcnat; policy accept; comment "rocklet bridge ${bridge}"; }`,
    `flush chain ip ${NFT_TABLE} ${chain}`,
    `add rule ip ${NFT_TABLE} ${chain} ip saddr ${subnet.cidr} ip daddr != ${subnet.cidr} masquerade`,
    '',
  ].join('\n');
}

/** The nft script that (re)creates the pod's chains with exactly these rules (`ports` not empty). */
export function podRulesScript(podId: PodId, ip: Ipv4Address, subnet: Ipv4Subnet, ports: readonly PortForward[]): string {
  const [pre, out, post] = podChainNames(podId) as [string, string, string];
  const lines = [`add table ip ${NFT_TABLE}`, ...declareChains(podId), ...[pre, out, post].map((c) => `flush chain ip ${NFT_TABLE} ${c}`)];
  for (const port of ports) lines.push(dnatRule(pre, port, ip), dnatRule(out, port, ip));
  lines.push(`add rule ip ${NFT_TABLE} ${post} ip daddr ${ip} ct status dnat ip saddr { 127.0.0.0/8, ${subnet.cidr} } masquerade`);
  return `${lines.join('\n')}\n`;
}

/** The nft script that deletes the pod's chains, whether they exist or not. */
export function removePodRulesScript(podId: PodId): string {
  // Declaring before deleting makes the delete succeed when a chain is already gone (nft 1.0.6
  // has no `destroy`); in one transaction the net effect is simply "absent".
  const names = podChainNames(podId);
  const lines = [`add table ip ${NFT_TABLE}`, ...declareChains(podId), ...names.map((n) => `delete chain ip ${NFT_TABLE} ${n}`)];
  return `${lines.join('\n')}\n`;
}

/** Install (or replace) the pod's rules in the host namespace. */
export async function applyPodRules(host: HostNetns, script: string, signal?: AbortSignal): Promise<void> {
  checked(await runInHost(host, ['nft', '-f', '-'], { input: script, signal }), 'install pod nft rules');
}

/** Remove the pod's rules from the host namespace (idempotent). */
export async function removePodRules(host: HostNetns, podId: PodId, signal?: AbortSignal): Promise<void> {
  checked(await runInHost(host, ['nft', '-f', '-'], { input: removePodRulesScript(podId), signal }), `remove nft rules of pod ${podId}`);
}

/** Pod ids that have at least one chain in the host's rocklet table. */
export async function listPodRuleOwners(host: HostNetns): Promise<string[]> {
  const result = await runInHost(host, ['nft', '-j', 'list', 'table', 'ip', NFT_TABLE]);
  if (result.code !== 0 && /No such file or directory/.test(result.stderr)) return [];
  const parsed = JSON.parse(checked(result, 'list nft rules').stdout) as { nftables?: { chain?: { name?: string } }[] };
  const owners = new Set<string>();
  for (const item of parsed.nftables ?? []) {
    const match = /^pod-(.+)-(pre|out|post)$/.exec(item.chain?.name ?? '');
    if (match?.[1] !== undefined) owners.add(match[1]);
  }
  return [...owners].sort();
}
