/**
 * @module net — pod networking: netns files, bridge, veth, IPAM leases, nft port forwards,
 * and the pod's /etc/hosts and resolv.conf.
 *
 * Entry points for `pod up` / `pod down`: {@link createPodNetwork} and {@link destroyPodNetwork}
 * (both idempotent), {@link collectPodNetworks} for gc. Everything done to the host goes
 * through a {@link HostNetns} handle (`currentHostNetns()` in production). Owns
 * `<leaseDir>` (default `/var/lib/rocklet/net/<bridge>/`), `<netnsDir>/<podId>` (default
 * `/run/rocklet/netns/`), the host bridge (default `rocklet0`; bridge and subnet come from the
 * `network` section of config.yaml, {@link loadNetworkConfig}), veths `rlv…` and the nft
 * table `ip rocklet`.
 */
export {
  parseIpv4,
  tryParseIpv4,
  parseIpAddress,
  parseSubnet,
  subnetContains,
  podAddressCount,
  ipv4ToNumber,
  numberToIpv4,
} from './address.js';
export type { Ipv4Address, IpAddress, Ipv4Subnet } from './address.js';
export {
  NETWORK_MODES,
  DEFAULT_BRIDGE_NAME,
  DEFAULT_SUBNET,
  DEFAULT_DATA_DIR,
  DEFAULT_NETNS_DIR,
  parseNetworkMode,
  parseNetworkConfig,
  parsePodId,
  isPodId,
} from './config.js';
export type { NetworkMode, NetworkConfig, NetworkConfigInput, PodId } from './config.js';
export { loadNetworkConfig, parseNetworkSection } from './network-settings.js';
export type { NetworkSection } from './network-settings.js';
export { currentHostNetns, hostNetnsAt } from './host-netns.js';
export type { HostNetns } from './host-netns.js';
export { podNetnsPath, isNetnsFile, ensureNetnsFile, removeNetnsFile } from './netns.js';
export { PORT_PROTOCOLS, parsePortForward, describeHostPort, portsClash } from './ports.js';
export type { PortForward, PortForwardInput, PortProtocol } from './ports.js';
export { acquireLease, releaseLease, reclaimLeases, listLeases, findLease } from './ipam.js';
export type { Lease, IpamConfig, AcquireLeaseOptions } from './ipam.js';
export { hostVethName, POD_INTERFACE } from './veth.js';
export { NFT_TABLE, podChainNames } from './nft.js';
export {
  createPodNetwork,
  destroyPodNetwork,
  collectPodNetworks,
  listPodNetworkOwners,
} from './pod-network.js';
export type { PodNetwork, CreatePodNetworkOptions, DestroyPodNetworkOptions, DestroyPodNetworkResult } from './pod-network.js';
export {
  POD_HOSTNAME_MAX_LENGTH,
  isHostname,
  parseHostname,
  parsePodHostname,
  defaultPodHostname,
} from './hostname.js';
export type { Hostname } from './hostname.js';
export { parseHostsEntry, parseHostsEntryFlags, parseHostAlias, renderEtcHosts } from './hosts.js';
export type { HostsEntry, HostsSpec, EtcHostsOptions } from './hosts.js';
export {
  MAX_NAMESERVERS,
  MAX_SEARCH_DOMAINS,
  parseDnsFlags,
  parseCustomDns,
  renderResolvConf,
  podResolvConf,
} from './resolv.js';
export type { DnsConfig, CustomDns, DnsFlags } from './resolv.js';
