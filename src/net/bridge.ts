/**
 * @module net/bridge — the pod bridge in the host namespace and the host sysctls it needs.
 *
 * Ensured on every `default`-mode pod setup (repairs a bridge someone removed), under
 * `<leaseDir>/.bridge.lock` so that concurrent setups never race on `ip link add`. A process
 * that ensured the bridge remembers its link index: while the bridge still has that index and
 * is up (one ioctl through the native helper), the next setup skips the `ip`/`nft` processes.
 * A bridge deleted and made again gets a new index, so it is checked in full again.
 *
 * The bridge's masquerade rule (pods' traffic leaving the subnet) lives in one nft chain per
 * bridge, `bridge-<name>-post`, made with the bridge: a pod without host ports needs no nft
 * process of its own (nft.ts).
 * Sysctls, all in the host namespace:
 * - `net.ipv4.ip_forward=1`: pods reach beyond the host;
 * - `net.ipv4.conf.<bridge>.route_localnet=1`: a connection to 127.0.0.1:HOSTPORT, DNATed to a
 *   pod, leaves through the bridge with a loopback source; without this the kernel drops it
 *   (rkt's most reported networking bug). Scoped to the bridge, not `all`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { failedPrecondition, linkState, withLock } from '../util/index.js';
import type { NetworkConfig } from './config.js';
import { checked } from './exec.js';
import { bridgeRulesScript } from './nft.js';
import type { HostNetns } from './host-netns.js';
import { runInHost, setHostSysctls } from './host-netns.js';

/** What `ip -j -d addr show` reports about one link (the fields used here). */
interface LinkState {
  readonly flags?: readonly string[];
  readonly linkinfo?: { readonly info_kind?: string };
  readonly addr_info?: readonly { readonly family?: string; readonly local?: string; readonly prefixlen?: number }[];
}

/** A host link as far as the bridge check cares. */
export interface HostLink {
  /** `bridge`, `veth` …, or `device` for a link without a kind (a physical NIC). */
  readonly kind: string;
  readonly up: boolean;
  /** IPv4 addresses as `a.b.c.d/len`. */
  readonly addresses: readonly string[];
}

/** Link `name` in the host namespace, or undefined when there is none. */
export async function inspectHostLink(host: HostNetns, name: string, signal?: AbortSignal): Promise<HostLink | undefined> {
  const result = await runInHost(host, ['ip', '-j', '-d', 'addr', 'show', 'dev', name], { signal });
  if (result.code !== 0 && /does not exist|Cannot find device/.test(result.stderr)) return undefined;
  const links = JSON.parse(checked(result, `inspect link ${name}`).stdout) as LinkState[];
  const link = links[0];
  if (link === undefined) return undefined;
  return {
    kind: link.linkinfo?.info_kind ?? 'device',
    up: link.flags?.includes('UP') ?? false,
    addresses: (link.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local ?? ''}/${a.prefixlen ?? ''}`),
  };
}

/** Bridges this process ensured: host namespace + bridge name → link index at that time. */
const ensured = new Map<string, number>();

function ensuredKey(config: NetworkConfig, host: HostNetns): string {
  return `${host.kind === 'file' ? host.path : ''}\0${config.bridgeName}\0${config.subnet.cidr}`;
}

function currentIndex(config: NetworkConfig, host: HostNetns): number | undefined {
  const state = linkState(config.bridgeName, host.kind === 'file' ? host.path : undefined);
  return state?.up === true ? state.index : undefined;
}

/** Create (if missing) and configure the pod bridge, its masquerade rule and the host sysctls. Idempotent. */
export async function ensureBridge(config: NetworkConfig, host: HostNetns, signal?: AbortSignal): Promise<void> {
  const key = ensuredKey(config, host);
  const known = ensured.get(key);
  if (known !== undefined && currentIndex(config, host) === known) {
    // Reading and writing /proc/sys costs no process in the current namespace: keep them right.
    if (host.kind === 'current') await setHostSysctls(host, { 'net.ipv4.ip_forward': '1', [`net.ipv4.conf.${config.bridgeName}.route_localnet`]: '1' }, signal);
    return;
  }
  await mkdir(config.leaseDir, { recursive: true, mode: 0o755 });
  await withLock(path.join(config.leaseDir, '.bridge.lock'), 'exclusive', async () => {
    const bridge = config.bridgeName;
    const gatewayCidr = `${config.subnet.gateway}/${config.subnet.prefixLength}`;
    const link = await inspectHostLink(host, bridge, signal);
    if (link !== undefined && link.kind !== 'bridge') {
      throw failedPrecondition('ERR_NET_BRIDGE_CONFLICT', `link ${bridge} exists on the host but is a ${link.kind}, not a bridge`, {
        hint: 'remove that link or configure another bridge name',
      });
    }
    if (link === undefined || !link.up || !link.addresses.includes(gatewayCidr)) {
      const commands = [
        ...(link === undefined ? [`link add ${bridge} type bridge`] : []),
        `addr replace ${gatewayCidr} dev ${bridge}`,
        `link set ${bridge} up`,
      ];
      checked(await runInHost(host, ['ip', '-batch', '-'], { input: `${commands.join('\n')}\n`, signal }), `set up bridge ${bridge}`);
    }
    await setHostSysctls(host, { 'net.ipv4.ip_forward': '1', [`net.ipv4.conf.${bridge}.route_localnet`]: '1' }, signal);
    checked(await runInHost(host, ['nft', '-f', '-'], { input: bridgeRulesScript(bridge, config.subnet), signal }), `install the nft rules of bridge ${bridge}`);
    const index = currentIndex(config, host);
    if (index !== undefined) ensured.set(key, index);
  }, { signal });
}
