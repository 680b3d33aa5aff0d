/**
 * @module pod/runtime/export — `rocklet export [--app=A] UUID OUT.aci` (rkt.md §1.9): an exited
 * app's final root filesystem as a gzip ACI whose manifest is the app's image manifest.
 *
 * Like rkt with overlay, the final rootfs is rebuilt by mounting the app's overlay upper dir
 * over the image's trees: here a read-only overlayfs with the upper dir as the topmost lower
 * layer (whiteouts and opaque dirs apply as they did in the app), mounted inside the pod
 * directory (so a crash leaves a mount that gc unmounts, never one elsewhere). The pod's lock
 * is held meanwhile, so gc and rm leave the pod alone until the ACI is written.
 *
 * Not like rkt: the rootfs holds the image's dependencies already, so `dependencies` and
 * `pathWhitelist` are dropped from the manifest (importing the ACI must not layer them again).
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageId } from '../../image/index.js';
import { ImageStore, buildAci, isImageId } from '../../image/index.js';
import { errnoCode, failedPrecondition, invalidArgument } from '../../util/index.js';
import { nsPath } from '../stage1/mount-namespace.js';
import { mountOverlay, unmount } from '../stage1/mounts.js';
import { appDirs } from '../stage1/rootfs.js';
import { acquirePodLock } from '../store/acquire.js';
import { podStore } from '../store/layout.js';
import { locateWithState } from '../store/probe.js';
import type { PodUuid } from '../store/uuid.js';
import type { RuntimeContext } from './context.js';
import { loadPlan, planApp, treeRootfs, usableTreeRootfs } from './pod-ref.js';

/** Options of {@link exportPodApp}. */
export interface ExportAppOptions {
  /** The app to export; needed when the pod has several. */
  readonly app?: string;
  /** The output file; must end in `.aci`. */
  readonly out: string;
  readonly overwrite?: boolean;
}

/** What {@link exportPodApp} wrote. */
export interface ExportedApp {
  readonly app: string;
  readonly id: ImageId;
  readonly sizeBytes: number;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isDirectory();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/** The image manifest of the export: the tree's copy (survives `image rm`), minus layering fields. */
async function exportManifest(treeDir: string): Promise<string> {
  const file = path.join(treeDir, 'manifest');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw failedPrecondition('ERR_IMAGE_TREE_MISSING', `the image manifest ${file} of the app's image tree cannot be read`, {
      hint: 'the image tree was removed; re-run the pod to export its files',
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    parsed = error;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || parsed instanceof Error) {
    throw failedPrecondition('ERR_IMAGE_TREE_CORRUPT', `the image manifest ${file} is not a JSON object`, {
      hint: 'verify the image ("rocklet image verify") and re-run the pod',
      ...(parsed instanceof Error ? { cause: parsed } : {}),
    });
  }
  const manifest = parsed as Record<string, unknown>;
  delete manifest.dependencies;
  delete manifest.pathWhitelist;
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * The manifest of an OCI/Docker image's app (its layer trees hold no manifest): the appc view
 * the store recorded. `ERR_IMAGE_TREE_MISSING` when the image left the store.
 */
async function ociExportManifest(ctx: RuntimeContext, id: string): Promise<string> {
  const store = await ImageStore.open(ctx.dataDir);
  const record = isImageId(id) ? await store.get(id) : undefined;
  if (record === undefined) {
    throw failedPrecondition('ERR_IMAGE_TREE_MISSING', `the image ${id} of the app is no longer in the store`, { hint: 'fetch the image again to export the app' });
  }
  const manifest: Record<string, unknown> = { ...record.manifest.raw };
  delete manifest.dependencies;
  delete manifest.pathWhitelist;
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Export app `options.app` of the exited pod `uuid` to `options.out`. Throws
 * `ERR_EXPORT_EXTENSION` (`extension must be .aci`), `ERR_DESTINATION_EXISTS`,
 * `ERR_POD_NOT_FOUND`, `ERR_POD_NOT_EXITED`, `ERR_POD_BUSY`, `ERR_EXPORT_APP_REQUIRED`,
 * `ERR_APP_NOT_FOUND`, `ERR_EXPORT_NO_UPPER` (the app's writes are gone),
 * `ERR_IMAGE_TREE_MISSING`, `ERR_POD_PLAN_MISSING`.
 */
export async function exportPodApp(ctx: RuntimeContext, uuid: PodUuid, options: ExportAppOptions): Promise<ExportedApp> {
  if (path.extname(options.out) !== '.aci') {
    throw invalidArgument('ERR_EXPORT_EXTENSION', 'extension must be .aci', { hint: `name the output file like ${path.basename(options.out)}.aci` });
  }
  if (options.overwrite !== true && (await lstat(options.out).then(() => true, () => false))) {
    throw failedPrecondition('ERR_DESTINATION_EXISTS', 'target file exists (try --overwrite)', { hint: `"${options.out}" is in the way` });
  }
  const store = podStore(ctx.dataDir);
  const found = await locateWithState(store, uuid);
  if (found === undefined) throw failedPrecondition('ERR_POD_NOT_FOUND', `pod "${uuid}" does not exist`);
  if (found.state !== 'exited' && found.state !== 'exited garbage') {
    throw failedPrecondition('ERR_POD_NOT_EXITED', `pod "${uuid}" is ${found.state}: only exited pods can be exported`, {
      hint: found.state === 'running' ? 'stop it first ("rocklet stop")' : 'run it first',
    });
  }
  const acquired = await acquirePodLock(found.location.path, 'change');
  if (acquired.status === 'busy' || acquired.status === 'gone') {
    throw failedPrecondition('ERR_POD_BUSY', `pod "${uuid}" is busy: it changed state or is being collected`, { hint: 'look at "rocklet status"' });
  }
  const lock = acquired.status === 'locked' ? acquired.lock : undefined;
  try {
    return await exportLocked(ctx, uuid, found.location.path, options);
  } finally {
    await lock?.release();
  }
}

async function exportLocked(ctx: RuntimeContext, uuid: PodUuid, podDir: string, options: ExportAppOptions): Promise<ExportedApp> {
  const ns = ctx.mountNamespace;
  const plan = await loadPlan(ctx, podDir);
  let name = options.app;
  if (name === undefined) {
    const [only, ...others] = plan.apps;
    if (only === undefined || others.length > 0) {
      throw invalidArgument('ERR_EXPORT_APP_REQUIRED', `pod "${uuid}" contains multiple apps: ${plan.apps.map((a) => a.name).join(', ')}`, {
        hint: 'specify the app using "rocklet export --app=APP ..."',
      });
    }
    name = only.name;
  }
  const app = planApp(plan, uuid, name);
  const dirs = appDirs(podDir, app.name);
  if (!(await isDirectory(nsPath(ns, dirs.upper)))) {
    throw failedPrecondition('ERR_EXPORT_NO_UPPER', `app "${app.name}" of pod "${uuid}" has no upper directory (${dirs.upper}): its files are gone`, {
      hint: 'the app directory is removed by "app cleanup" or gc; only apps whose writes were kept can be exported',
    });
  }
  const lowers = await usableTreeRootfs(ctx, app.image.trees);
  for (const lower of lowers) {
    if (!(await isDirectory(nsPath(ns, lower)))) {
      throw failedPrecondition('ERR_IMAGE_TREE_MISSING', `app "${app.name}": image tree ${lower} is missing`, {
        hint: 'the image tree was removed ("rocklet image gc"); the app cannot be rebuilt',
      });
    }
  }
  const [top] = app.image.trees;
  if (top === undefined) throw failedPrecondition('ERR_POD_PLAN_INVALID', `app "${app.name}" of pod "${uuid}" has no image trees in its plan`);
  const staging = path.join(podDir, `export-${randomBytes(6).toString('hex')}`);
  const rootfs = path.join(staging, 'rootfs');
  await mkdir(nsPath(ns, rootfs), { recursive: true, mode: 0o700 });
  let mounted = false;
  try {
    const manifest = top.startsWith('layer-') ? await ociExportManifest(ctx, app.image.id) : await exportManifest(path.dirname(nsPath(ns, treeRootfs(ctx.dataDir, top))));
    await writeFile(nsPath(ns, path.join(staging, 'manifest')), manifest);
    // No writable layer: a read-only overlay; the app's upper dir is its topmost layer.
    await mountOverlay(ns, { lowerDirs: [dirs.upper, ...lowers], target: rootfs });
    mounted = true;
    const built = await buildAci(nsPath(ns, staging), options.out, { overwrite: options.overwrite === true, compression: 'gzip' });
    return { app: app.name, id: built.id, sizeBytes: built.sizeBytes };
  } finally {
    // Never delete through a mount that is still there: a failed unmount throws before the rm.
    if (mounted) await unmount(ns, rootfs);
    await rm(nsPath(ns, staging), { recursive: true, force: true });
  }
}
