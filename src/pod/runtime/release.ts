/**
 * @module pod/runtime/release — give back everything a pod holds on the host, whatever state
 * it was left in: its crun containers (`<uuid>-<app>`), every mount under its directory (app
 * overlays, Memory emptyDirs), its network (nft rules, veth, netns file, IP lease; in the pod
 * network it recorded at `pod up`, net-record.ts) and its IPC/UTS namespace files.
 *
 * Used by `pod down`, by the standalone supervisor when the pod ends, and by `gc`/`rm` before a
 * pod directory is deleted. Idempotent and tolerant of a reboot: what is already gone is
 * skipped, and only what was really released is reported.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { PodId } from '../../net/index.js';
import { destroyPodNetwork, isPodId } from '../../net/index.js';
import { errnoCode, hasErrorCode } from '../../util/index.js';
import { containerIdFor } from '../stage1/crun-argv.js';
import { nsPath } from '../stage1/mount-namespace.js';
import { listMountPoints, unmount } from '../stage1/mounts.js';
import { APPS_DIR } from '../stage1/rootfs.js';
import type { RuntimeContext } from './context.js';
import { podNetworkOf } from './net-record.js';
import { crunOf, loadPlan, nsFiles, podNsDir } from './pod-ref.js';
import { removePodSecrets } from './pod-secrets.js';
import { removeNamespaceDir, removeNamespaceFiles } from './sandbox-files.js';

/** The pod's app names: from its plan, plus any app directory a crash left behind. */
async function appNames(ctx: RuntimeContext, podDir: string): Promise<string[]> {
  const names = new Set<string>();
  try {
    for (const app of (await loadPlan(ctx, podDir)).apps) names.add(app.name);
  } catch (error) {
    // A pod without a (valid) plan still gets its leftovers released.
    if (!['ERR_POD_PLAN_MISSING', 'ERR_POD_PLAN_VERSION', 'ERR_POD_FILE_CORRUPT'].some((code) => hasErrorCode(error, code))) throw error;
  }
  try {
    for (const entry of await readdir(nsPath(ctx.mountNamespace, path.join(podDir, APPS_DIR)))) names.add(entry);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  return [...names].sort();
}

/** Deletes the pod's crun containers (killing running ones); the ids deleted. */
export async function deletePodContainers(ctx: RuntimeContext, podDir: string, uuid: string): Promise<string[]> {
  const crun = crunOf(ctx);
  try {
    await crun.locate();
  } catch (error) {
    // Without crun there can be no crun container to delete.
    if (hasErrorCode(error, 'ERR_CRUN_MISSING')) return [];
    throw error;
  }
  const deleted: string[] = [];
  for (const app of await appNames(ctx, podDir)) {
    let id: string;
    try {
      id = containerIdFor(uuid, app);
    } catch (error) {
      if (hasErrorCode(error, 'ERR_CRUN_CONTAINER_ID')) continue; // a stray directory entry
      throw error;
    }
    if (await crun.delete(id, { force: true })) deleted.push(id);
  }
  return deleted;
}

/** Unmounts everything mounted under `podDir`, deepest first; the mount points released. */
export async function unmountUnder(ctx: RuntimeContext, podDir: string): Promise<string[]> {
  const points = (await listMountPoints(ctx.mountNamespace)).filter((p) => p === podDir || p.startsWith(`${podDir}/`));
  const released: string[] = [];
  for (const point of [...new Set(points)].sort().reverse()) {
    if (await unmount(ctx.mountNamespace, point)) released.push(point);
  }
  return released;
}

/** Releases the pod's network in the network it was made in (net-record.ts); what was released. */
async function releasePodNetwork(ctx: RuntimeContext, podDir: string, podId: PodId): Promise<string[]> {
  const network = await podNetworkOf(ctx, podDir, podId);
  // Not ctx.signal: a SIGINT that stops the pod must not also stop its teardown.
  const result = await destroyPodNetwork(network, ctx.hostNetns, podId);
  const released: string[] = [];
  if (result.vethRemoved) released.push(`network interface of ${podId}`);
  if (result.netnsRemoved) released.push(`network namespace ${path.join(network.netnsDir, podId)}`);
  for (const ip of result.releasedAddresses) released.push(`address ${ip}`);
  return released;
}

/**
 * Releases everything pod `uuid` (directory `podDir`) holds on the host; returns one line per
 * thing released (`container …`, `mount …`, `network …`, `namespace …`). Safe to call any number
 * of times, for a pod in any state; it never touches the pod directory's files.
 */
export async function releasePodResources(ctx: RuntimeContext, podDir: string, uuid: string): Promise<string[]> {
  const released: string[] = [];
  for (const id of await deletePodContainers(ctx, podDir, uuid)) released.push(`container ${id}`);
  for (const point of await unmountUnder(ctx, podDir)) released.push(`mount ${point}`);
  const files = nsFiles(ctx, uuid);
  // The network and the IPC/UTS namespace files are independent: release them at the same time,
  // and let both finish before a failure of either is thrown.
  const [net, namespaces] = await Promise.allSettled([
    isPodId(uuid) ? releasePodNetwork(ctx, podDir, uuid) : Promise.resolve([]),
    removeNamespaceFiles(ctx.mountNamespace, [files.ipc, files.uts]),
  ]);
  if (net.status === 'rejected') throw net.reason;
  if (namespaces.status === 'rejected') throw namespaces.reason;
  released.push(...net.value);
  for (const file of namespaces.value) released.push(`namespace ${file}`);
  await removeNamespaceDir(ctx.mountNamespace, podNsDir(ctx, uuid));
  await removePodSecrets(ctx, uuid);
  return released;
}
