/**
 * @module pod/runtime/pod-ref — what every execution step needs about one pod: where its
 * directory is now, its plan, and the host paths derived from them (image trees, namespace
 * files, crun container ids). Also the one place that builds a {@link CrunRuntime} from the
 * runtime context.
 *
 * Namespace files: a pod's IPC and UTS namespaces are nsfs bind mounts at
 * `<podNsDir>/<uuid>/{ipc,uts}` (default `/run/rocklet/ns`, a tmpfs on real hosts, so a reboot
 * leaves no stale file), beside the net layer's `/run/rocklet/netns/<uuid>`. They live outside
 * the pod directory on purpose: a pod directory with nothing mounted below it can always be
 * deleted by gc without a walk into a mount.
 */
import path from 'node:path';
import { ImageStore } from '../../image/index.js';
import { failedPrecondition, notFound } from '../../util/index.js';
import type { PodStore, StateDir } from '../store/layout.js';
import { podStore } from '../store/layout.js';
import { locatePod } from '../store/locate.js';
import type { PodUuid } from '../store/uuid.js';
import type { CgroupManager } from '../stage1/crun-argv.js';
import { containerIdFor } from '../stage1/crun-argv.js';
import { CrunRuntime, DEFAULT_CRUN_ROOT } from '../stage1/crun.js';
import { nsPath } from '../stage1/mount-namespace.js';
import type { RuntimeContext } from './context.js';
import type { PlannedApp, PodPlan } from './plan.js';
import { readPodPlan } from './plan-file.js';

/** Default parent of the pods' IPC/UTS namespace files. */
export const DEFAULT_POD_NS_DIR = '/run/rocklet/ns';

/** The pod files execution writes besides the store's (`<pod>/hosts`, `<pod>/resolv.conf`). */
export const EXEC_FILES = { hosts: 'hosts', resolvConf: 'resolv.conf', hostname: 'hostname' } as const;

/** A located pod with its plan. */
export interface PodRef {
  readonly uuid: PodUuid;
  readonly store: PodStore;
  readonly stateDir: StateDir;
  /** The pod directory's path (in the state dir it was found in). */
  readonly dir: string;
  readonly plan: PodPlan;
}

/** The pod store of the context. */
export function storeOf(ctx: RuntimeContext): PodStore {
  return podStore(ctx.dataDir);
}

/**
 * The crun runtime of the context (its state root and mount namespace). `cgroupManager`
 * defaults to `disabled` (the enclosing unit's cgroup applies); standalone runs of apps with
 * limits pass `cgroupfs`, so crun applies the config's `linux.resources` itself.
 */
export function crunOf(ctx: RuntimeContext, cgroupManager: CgroupManager = 'disabled'): CrunRuntime {
  return new CrunRuntime({ root: ctx.crunRoot ?? DEFAULT_CRUN_ROOT, namespace: ctx.mountNamespace, cgroupManager });
}

/** crun container id of app `app` of pod `uuid`. */
export function containerId(uuid: string, app: string): string {
  return containerIdFor(uuid, app);
}

/**
 * Host paths of the root filesystems of a plan's image trees, each first made usable: a tree
 * written unflushed before the machine restarted is unpacked again from its images' blobs
 * (ImageStore.usableTree). A missing tree is left to the mount's own check.
 */
export async function usableTreeRootfs(ctx: RuntimeContext, trees: readonly string[]): Promise<string[]> {
  const paths = trees.map((tree) => treeRootfs(ctx.dataDir, tree));
  const store = await ImageStore.open(ctx.dataDir);
  for (const tree of trees) await store.usableTree(tree, ctx.signal);
  return paths;
}

/** Host path of a rendered image tree's root filesystem. */
export function treeRootfs(dataDir: string, treeId: string): string {
  // Tree ids name directories: refuse anything that could climb out of trees/.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(treeId)) {
    throw failedPrecondition('ERR_POD_PLAN_INVALID', `image tree id "${treeId}" in the pod plan is not a tree id`);
  }
  return path.join(dataDir, 'images', 'trees', treeId, 'rootfs');
}

/** `<podNsDir>/<uuid>`: the directory holding the pod's IPC and UTS namespace files. */
export function podNsDir(ctx: RuntimeContext, uuid: string): string {
  return path.join(ctx.podNsDir ?? DEFAULT_POD_NS_DIR, uuid);
}

/** The pod's namespace files (network only outside host mode; see sandbox.ts). */
export function nsFiles(ctx: RuntimeContext, uuid: string): { readonly ipc: string; readonly uts: string } {
  const dir = podNsDir(ctx, uuid);
  return { ipc: path.join(dir, 'ipc'), uts: path.join(dir, 'uts') };
}

/** Reads and checks `<pod>/plan.json` (at the path as seen from `ctx.mountNamespace`). */
export function loadPlan(ctx: RuntimeContext, podDir: string): Promise<PodPlan> {
  return readPodPlan(nsPath(ctx.mountNamespace, podDir));
}

/** Locates pod `uuid` in `dirs` and loads its plan; ERR_POD_NOT_FOUND when it is in none. */
export async function findPod(ctx: RuntimeContext, uuid: PodUuid, dirs: readonly StateDir[]): Promise<PodRef> {
  const store = storeOf(ctx);
  const at = await locatePod(store, uuid, dirs);
  if (at === undefined) throw notFound('ERR_POD_NOT_FOUND', `no matches found for "${uuid}"`);
  return { uuid, store, stateDir: at.dir, dir: at.path, plan: await loadPlan(ctx, at.path) };
}

/** The planned app `name`; ERR_APP_NOT_FOUND naming the pod's apps otherwise. */
export function planApp(plan: PodPlan, uuid: string, name: string): PlannedApp {
  const app = plan.apps.find((a) => a.name === name);
  if (app === undefined) {
    throw notFound('ERR_APP_NOT_FOUND', `pod "${uuid}" has no app "${name}" (apps: ${plan.apps.map((a) => a.name).join(', ')})`);
  }
  return app;
}
