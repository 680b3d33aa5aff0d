/**
 * @module pod/runtime/net-record — which pod network a pod's network lives in.
 *
 * `pod up` records the configured network in `<pod>/net-config.json` before it makes anything
 * of the pod's network, and every teardown (`pod down`, the supervisor's end, gc, rm) releases
 * the lease, veth, nft chains and netns file in the recorded network. So an admin who changes
 * config.yaml's `network` section while pods exist leaks none of their leases, and one who
 * breaks it does not block their cleanup. Without a record (a pod from before records existed,
 * or a crash before it was written, when nothing of the network exists yet) the current
 * configuration applies. So does it for an unreadable record, reported as an event: teardown
 * only touches what is named by the pod's own id, so the fallback cannot release another pod's
 * resources, and a damaged file must not make a pod uncollectable.
 */
import path from 'node:path';
import type { NetworkConfig, PodId } from '../../net/index.js';
import { destroyPodNetwork, parseNetworkConfig } from '../../net/index.js';
import { hasErrorCode, isRockletError } from '../../util/index.js';
import type { PodNetworkRecord } from '../store/net-info.js';
import { NET_CONFIG_FILE, readNetworkRecord, writeNetworkRecord } from '../store/net-info.js';
import { corrupt } from '../store/pod-files.js';
import type { RuntimeContext } from './context.js';

function recordOf(config: NetworkConfig): PodNetworkRecord {
  return { bridge: config.bridgeName, subnet: config.subnet.cidr, leaseDir: config.leaseDir, netnsDir: config.netnsDir };
}

function sameNetwork(a: NetworkConfig, b: NetworkConfig): boolean {
  const x = recordOf(a);
  const y = recordOf(b);
  return (Object.keys(x) as Array<keyof PodNetworkRecord>).every((key) => x[key] === y[key]);
}

/**
 * The pod network recorded in `podDir`; undefined when there is no record. Throws
 * `ERR_POD_FILE_CORRUPT` when the file is not a record or names an invalid network.
 */
export async function readPodNetwork(podDir: string): Promise<NetworkConfig | undefined> {
  const record = await readNetworkRecord(podDir);
  if (record === undefined) return undefined;
  try {
    return parseNetworkConfig({ bridgeName: record.bridge, subnet: record.subnet, leaseDir: record.leaseDir, netnsDir: record.netnsDir });
  } catch (error) {
    // parseNetworkConfig only validates: any error of its own means the record is bad.
    if (!isRockletError(error)) throw error;
    return corrupt(path.join(podDir, NET_CONFIG_FILE), error.message, error);
  }
}

/** {@link readPodNetwork}, with an unreadable record reported through `ctx.onEvent` and taken as none. */
async function readPodNetworkLeniently(ctx: RuntimeContext, podDir: string, uuid: string): Promise<NetworkConfig | undefined> {
  try {
    return await readPodNetwork(podDir);
  } catch (error) {
    if (!hasErrorCode(error, 'ERR_POD_FILE_CORRUPT')) throw error;
    ctx.onEvent?.({ message: `pod "${uuid}": ${error.message}; using the network of config.yaml` });
    return undefined;
  }
}

/** The network to release pod `uuid`'s network in: the recorded one, else the configured one. */
export async function podNetworkOf(ctx: RuntimeContext, podDir: string, uuid: string): Promise<NetworkConfig> {
  return (await readPodNetworkLeniently(ctx, podDir, uuid)) ?? ctx.loadNetwork();
}

/**
 * Records `config` as the network pod `podId` is about to get; call it before the network is
 * made, so a crash in the middle of the set-up leaves the record for gc. When an earlier start
 * recorded a different network (config.yaml changed before a restart), what is left of the pod
 * in that one is released first: the record about to be replaced is the only way to find it.
 */
export async function recordPodNetwork(ctx: RuntimeContext, podDir: string, podId: PodId, config: NetworkConfig): Promise<void> {
  const previous = await readPodNetworkLeniently(ctx, podDir, podId);
  if (previous !== undefined && !sameNetwork(previous, config)) await destroyPodNetwork(previous, ctx.hostNetns, podId);
  await writeNetworkRecord(podDir, recordOf(config));
}
