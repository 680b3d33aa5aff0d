/**
 * @module pod/runtime/prepared-pod — what both ways of preparing a pod share (IMAGE arguments in
 * `prepare.ts`, pod files in `prepare-pod-file.ts`): the options, the fetcher, resolving one
 * image to its trees, and creating the pod with its files (see `prepare.ts` for what a failure
 * leaves). Its own module so that neither preparer imports the other.
 */
import type { FetchSettings, ImageId, PullPolicy, FetchEventHandler } from '../../image/index.js';
import { ImageFetcher, lazyFetchSignaturePolicy } from '../../image/index.js';
import type { ImageStore } from '../../image/index.js';
import type { InsecureOptions } from '../../util/index.js';
import { podStore } from '../store/layout.js';
import type { PodMeta } from '../store/pod-files.js';
import { writePodManifest } from '../store/pod-files.js';
import type { LockedPod } from '../store/transitions.js';
import { createPod, markPrepared } from '../store/transitions.js';
import type { PodUuid } from '../store/uuid.js';
import { writeUuidFile } from '../store/uuid.js';
import type { RuntimeContext } from './context.js';
import type { PodPlan } from './plan.js';
import type { ResolvedImage } from './plan-common.js';
import { checkRunnablePlatform } from './plan-common.js';
import { appcPodManifestObject, writePodPlan } from './plan-file.js';
import type { EnvPair } from './request.js';

/** What preparation needs of the runtime context (a full {@link RuntimeContext} will do). */
export type PlanningContext = Pick<RuntimeContext, 'dataDir' | 'configDir' | 'insecure' | 'signal' | 'onEvent'>;

export interface PrepareOptions {
  /** From `loadFetchSettings` (TLS roots, stall timeout). */
  readonly fetchSettings: FetchSettings;
  /** `--pull-policy`; default `new` (rkt's for run/prepare); pod files: each container's imagePullPolicy. */
  readonly pullPolicy?: PullPolicy;
  readonly onFetchEvent?: FetchEventHandler;
  /** The caller's environment, used when the request has `--inherit-env`. */
  readonly inheritedEnv?: readonly EnvPair[];
  /** Resolves relative image paths (default: the process's cwd). */
  readonly cwd?: string;
  /**
   * Keep the new pod locked in `prepare/` and return it (`run`, `pod up` then call
   * markRunning); default: mark it prepared and unlock it (`prepare`).
   */
  readonly keepLocked?: boolean;
}

export interface PreparedPod {
  readonly uuid: PodUuid;
  /** The pod directory (in `prepared/`, or in `prepare/` with `keepLocked`). */
  readonly podDir: string;
  readonly plan: PodPlan;
  /** Only with `keepLocked`: the pod, its lock held by this process. */
  readonly pod?: LockedPod;
}


export function fetcherFor(ctx: PlanningContext, store: ImageStore, pullPolicy: PullPolicy, options: PrepareOptions, insecure: InsecureOptions): ImageFetcher {
  return new ImageFetcher({
    store, configDir: ctx.configDir, pullPolicy, insecure, settings: options.fetchSettings, onEvent: options.onFetchEvent, signal: ctx.signal,
    // OCI/Docker images are checked against <config-dir>/policy.json, read on first use.
    signaturePolicy: lazyFetchSignaturePolicy(ctx.configDir, insecure, { caFile: options.fetchSettings.caFile, ...(ctx.signal === undefined ? {} : { signal: ctx.signal }) }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
}

export async function resolveImage(store: ImageStore, fetcher: ImageFetcher, image: string, signature: string | undefined, signal: AbortSignal | undefined): Promise<ResolvedImage> {
  const { record } = await fetcher.fetch(image, { signatureFile: signature });
  checkRunnablePlatform(record);
  return { record, trees: await store.imageTrees(record.id, signal) };
}

function metaOf(plan: PodPlan): PodMeta {
  return {
    apps: plan.apps.map((app) => ({
      name: app.name as PodMeta['apps'][number]['name'],
      imageName: app.image.name,
      imageId: app.image.id as NonNullable<PodMeta['apps'][number]['imageId']>,
      ...(app.image.version === undefined ? {} : { imageVersion: app.image.version }),
    })),
  };
}

/**
 * `image gc` keeps every tree while a pod is being prepared, but the trees were rendered before
 * the pod existed: render again (a no-op when the tree is there; tree IDs are deterministic) so
 * a gc that ran in between cannot leave the plan naming a missing tree.
 */
async function ensureTrees(ctx: PlanningContext, store: ImageStore, plan: PodPlan): Promise<void> {
  for (const app of plan.apps) {
    const trees = await store.imageTrees(app.image.id as ImageId, ctx.signal);
    if (trees.join(',') !== app.image.trees.join(',')) throw new Error(`image ${app.image.id} rendered to trees ${trees.join(', ')}, planned ${app.image.trees.join(', ')}`);
  }
}

/** Create the pod and write its files; see the module doc for what a failure leaves. */
export async function createPreparedPod(
  ctx: PlanningContext,
  store: ImageStore,
  plan: PodPlan,
  options: { keepLocked?: boolean; uuidFileSave?: string | undefined; replan?: (uuid: PodUuid) => Promise<PodPlan> },
): Promise<PreparedPod> {
  const pod = await createPod(podStore(ctx.dataDir));
  try {
    if (options.uuidFileSave !== undefined) await writeUuidFile(options.uuidFileSave, pod.uuid);
    await ensureTrees(ctx, store, plan);
    const final = options.replan === undefined ? plan : await options.replan(pod.uuid);
    await writePodPlan(pod.path, final);
    await writePodManifest(pod.path, appcPodManifestObject(final, pod.uuid), metaOf(final));
    if (options.keepLocked === true) return { uuid: pod.uuid, podDir: pod.path, plan: final, pod };
    await markPrepared(pod);
    return { uuid: pod.uuid, podDir: pod.path, plan: final };
  } catch (error) {
    // Unlocked in prepare/, the pod reads as "aborted prepare"; gc collects it.
    if (pod.dir === 'prepare') await pod.release();
    throw error;
  }
}
