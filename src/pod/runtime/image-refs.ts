/**
 * @module pod/runtime/image-refs — what `image gc` (CLI and daemon) must keep because pods use it.
 *
 * rkt kept the trees referenced by pods in `prepare`, `prepared`, `run` and `exited-garbage`
 * and the images of running pods (rkt.md §3.5). A pod that has a plan (`plan.json`) names the
 * trees it stacks exactly; those are kept. Pods without a plan record only the image ID of each
 * app in `pod-meta.json`; the tree such a pod runs from is an image's own tree or a tree whose
 * top layer is that image (dependencies below it), so every tree whose top layer is an image
 * some pod uses is kept, together with the own trees of all its layers. That keeps a little
 * more than needed (an old render of a re-rendered image), never less. A pod that is being
 * created or prepared has not written its metadata yet, and one that cannot be read could use
 * anything: then no tree is removed at all.
 */
import path from 'node:path';
import type { ImageId, StoredTree } from '../../image/index.js';
import { listPods } from '../store/list.js';
import { podStore } from '../store/layout.js';
import type { PodInfo } from '../store/inspect.js';
import { corrupt, parseJsonFile, readOptional } from '../store/pod-files.js';
import { POD_PLAN_FILE } from './plan.js';

/** What pods hold on to. */
export interface PodReferences {
  /** Images of running pods: kept whatever their last use. */
  readonly runningImages: ReadonlySet<ImageId>;
  /** Trees pods may use: kept. */
  readonly trees: ReadonlySet<string>;
  /** Set when trees cannot be collected safely now: why (a pod being prepared, an unreadable pod). */
  readonly keepAllTreesBecause?: string;
}

/** States whose pods have no metadata yet but may already use a tree being rendered. */
const IN_PREPARATION = new Set<PodInfo['state']>(['embryo', 'preparing']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The tree IDs named by the pod's plan (every app's lower layers), or undefined when the pod has
 * no plan. Reads only what gc needs, so a plan of a newer version still protects its trees;
 * throws `ERR_POD_FILE_CORRUPT` when the trees cannot be read from it.
 */
export async function plannedTrees(podDir: string): Promise<string[] | undefined> {
  const file = path.join(podDir, POD_PLAN_FILE);
  const text = await readOptional(file);
  if (text === undefined) return undefined;
  const plan = parseJsonFile(file, text);
  const apps = isRecord(plan) ? plan.apps : undefined;
  if (!Array.isArray(apps)) corrupt(file, '"apps" is not a list');
  const trees: string[] = [];
  for (const app of apps) {
    const image = isRecord(app) ? app.image : undefined;
    const ids = isRecord(image) ? image.trees : undefined;
    if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
      corrupt(file, 'an app has no "image.trees" list of tree IDs');
    }
    trees.push(...ids);
  }
  return trees;
}

/** The references of every pod under `dataDir` (`--dir`), given the trees in the image store. */
export async function podReferences(dataDir: string, trees: readonly StoredTree[]): Promise<PodReferences> {
  const { pods, errors } = await listPods(podStore(dataDir), { dirs: ['embryo', 'prepare', 'prepared', 'run', 'exited-garbage'] });
  const usedImages = new Set<ImageId>();
  const runningImages = new Set<ImageId>();
  const kept = new Set<string>();
  let keepAllTreesBecause: string | undefined;
  const [unreadable] = errors;
  if (unreadable !== undefined) keepAllTreesBecause = `pod ${unreadable.uuid} cannot be read`;
  for (const pod of pods) {
    if (IN_PREPARATION.has(pod.state)) keepAllTreesBecause ??= `pod ${pod.uuid} is being prepared`;
    let planned: string[] | undefined;
    try {
      planned = await plannedTrees(pod.path);
    } catch {
      // A plan that cannot be read could name any tree; so could a pod that moved meanwhile.
      keepAllTreesBecause ??= `pod ${pod.uuid} cannot be read`;
    }
    for (const tree of planned ?? []) kept.add(tree);
    for (const app of pod.meta?.apps ?? []) {
      if (app.imageId === undefined) continue;
      // A plan names the pod's trees exactly; only pods without one need the wider guess.
      if (planned === undefined) usedImages.add(app.imageId);
      if (pod.state === 'running') runningImages.add(app.imageId);
    }
  }
  for (const tree of trees) {
    const top = tree.layers[tree.layers.length - 1];
    if (top === undefined || !usedImages.has(top)) continue;
    kept.add(tree.id);
    for (const layer of tree.layers) kept.add(layer);
  }
  return { runningImages, trees: kept, ...(keepAllTreesBecause === undefined ? {} : { keepAllTreesBecause }) };
}
