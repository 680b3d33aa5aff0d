/**
 * @module cli/commands/image-gc-refs — what `image gc` must keep because pods use it.
 *
 * rkt kept the trees referenced by pods in `prepare`, `prepared`, `run` and `exited-garbage`
 * and the images of running pods (rkt.md §3.5). Pods here record the image ID of each app in
 * `pod-meta.json`; the tree a pod runs from is an image's own tree or a tree whose top layer is
 * that image (dependencies below it). So every tree whose top layer is an image some pod uses is
 * kept, together with the own trees of all its layers (pods may stack those as overlay lower
 * layers). That keeps a little more than needed (an old render of a re-rendered image), never
 * less. A pod that is being created or prepared has not written its metadata yet, and one that
 * cannot be read could use anything: then no tree is removed at all.
 *
 * TODO(lead): move to src/pod once pods record their tree IDs, so the daemon's gc can share it.
 */
import type { ImageId, StoredTree } from '../../image/index.js';
import { listPods, podStore } from '../../pod/index.js';
import type { PodInfo } from '../../pod/index.js';

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

/** The references of every pod under `dataDir` (`--dir`), given the trees in the image store. */
export async function podReferences(dataDir: string, trees: readonly StoredTree[]): Promise<PodReferences> {
  const { pods, errors } = await listPods(podStore(dataDir), { dirs: ['embryo', 'prepare', 'prepared', 'run', 'exited-garbage'] });
  const usedImages = new Set<ImageId>();
  const runningImages = new Set<ImageId>();
  let keepAllTreesBecause: string | undefined;
  const [unreadable] = errors;
  if (unreadable !== undefined) keepAllTreesBecause = `pod ${unreadable.uuid} cannot be read`;
  for (const pod of pods) {
    if (IN_PREPARATION.has(pod.state)) keepAllTreesBecause ??= `pod ${pod.uuid} is being prepared`;
    for (const app of pod.meta?.apps ?? []) {
      if (app.imageId === undefined) continue;
      usedImages.add(app.imageId);
      if (pod.state === 'running') runningImages.add(app.imageId);
    }
  }
  const kept = new Set<string>();
  for (const tree of trees) {
    const top = tree.layers[tree.layers.length - 1];
    if (top === undefined || !usedImages.has(top)) continue;
    kept.add(tree.id);
    for (const layer of tree.layers) kept.add(layer);
  }
  return { runningImages, trees: kept, ...(keepAllTreesBecause === undefined ? {} : { keepAllTreesBecause }) };
}
