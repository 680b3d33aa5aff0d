/**
 * @module pod/runtime/collect — what `gc` and `rm` run before a pod directory is deleted (the
 * store's `beforeDelete`, called with the pod's lock held, the pod already in `garbage/`):
 *
 * 1. the runtime's release of the pod's outside resources (`releasePodResources`: app mounts,
 *    crun containers, the network), passed in by the caller;
 * 2. then every mount still at or below the pod directory, deepest first, in the runtime's mount
 *    namespace and in this process's (the one the store's deletion checks): rkt's gc also
 *    "unmounted leftover mounts". A busy mount is detached lazily.
 *
 * Both steps are idempotent and find nothing to do after a reboot, so a half-deleted pod is
 * simply collected again.
 */
import { realpath } from 'node:fs/promises';
import { errnoCode } from '../../util/index.js';
import type { MountNamespace } from '../stage1/mount-namespace.js';
import { CURRENT_MOUNT_NAMESPACE } from '../stage1/mount-namespace.js';
import { listMountPoints, unmount } from '../stage1/mounts.js';
import type { BeforeDelete } from '../store/destroy.js';
import type { PodUuid } from '../store/uuid.js';
import type { RuntimeContext } from './context.js';

/** The signature of the runtime's `releasePodResources` (release.ts): what it released, as text. */
export type ReleasePodResources = (ctx: RuntimeContext, podDir: string, uuid: PodUuid) => Promise<string[]>;

async function realOrSelf(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return p;
    throw error;
  }
}

/** Mount points of `ns` at or below `dir`, deepest first. */
async function mountsBelow(ns: MountNamespace, dir: string): Promise<string[]> {
  const prefix = `${dir}/`;
  const found = new Set((await listMountPoints(ns)).filter((point) => point === dir || point.startsWith(prefix)));
  return [...found].sort((a, b) => b.length - a.length);
}

/**
 * Unmount everything at or below `podDir` in `ctx.mountNamespace` and in this process's mount
 * namespace; returns a line per unmounted point (`unmounted /…`).
 */
export async function unmountPodLeftovers(ctx: Pick<RuntimeContext, 'mountNamespace'>, podDir: string): Promise<string[]> {
  const dir = await realOrSelf(podDir);
  const namespaces = ctx.mountNamespace === CURRENT_MOUNT_NAMESPACE ? [CURRENT_MOUNT_NAMESPACE] : [ctx.mountNamespace, CURRENT_MOUNT_NAMESPACE];
  const released: string[] = [];
  for (const ns of namespaces) {
    for (const point of await mountsBelow(ns, dir)) {
      if (await unmount(ns, point)) released.push(`unmounted ${point}`);
    }
  }
  return released;
}

/**
 * The `beforeDelete` of `gc` and `rm`: `release` (the runtime's releasePodResources, when there
 * is one), then the leftover mounts. Each released thing is reported through `ctx.onEvent`.
 */
export function podCollector(ctx: RuntimeContext, release?: ReleasePodResources): BeforeDelete {
  return async (pod) => {
    const released = release === undefined ? [] : await release(ctx, pod.path, pod.uuid);
    released.push(...(await unmountPodLeftovers(ctx, pod.path)));
    for (const line of released) ctx.onEvent?.({ message: `pod "${pod.uuid}": ${line}` });
  };
}
