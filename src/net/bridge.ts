/**
 * @module net/bridge — the pod bridge in the host namespace and the host sysctls it needs.
 *
 * Ensured on every `default`-mode pod setup (cheap, and repairs a bridge someone removed),
 * under `<leaseDir>/.bridge.lock` so that concurrent setups never race on `ip link add`.
 * Sysctls, all in the host namespace:
 * - `net.ipv4.ip_forward=1`: pods reach beyond the host;
 * - `net.ipv4.conf.<bridge>.route_localnet=1`: a connection to 127.0.0.1:HOSTPORT, DNATed to a
 *   pod, leaves through the bridge with a loopback source; without this the kernel drops it
 *   (rkt's most reported networking bug). Scoped to the bridge, not `all`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { failedPrecondition, withLock } from '../util/index.js';
import type { NetworkConfig } from './config.js';
import { checked } from './exec.js';
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

/** Create (if missing) and configure the pod bridge and the host sysctls. Idempotent. */
export async function ensureBridge(config: NetworkConfig, host: HostNetns, signal?: AbortSignal): Promise<void> {
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
  }, { signal });
}
