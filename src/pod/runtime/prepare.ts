/**
 * @module pod/runtime/prepare — `prepare` (and the first half of `run` and `pod up`): fetch
 * the images, render their trees, plan the pod, then create it in the pod store and write its
 * files: `pod` (appc PodManifest, for `cat-manifest`), `pod-meta.json` (apps and image IDs,
 * for `list` and so that `image gc` keeps the images) and `plan.json` (what execution runs).
 *
 * Failure behaviour: everything that can be wrong with the input (images, signatures, names,
 * ports, host paths, pod-file errors) is found before the pod is created, so a refused
 * prepare leaves no pod behind. A failure after creation (disk full, a crash) leaves an
 * `aborted prepare` pod, as rkt did, which `gc` removes on its next pass. `--uuid-file-save`
 * is written as soon as the pod exists. Trees are rendered before the pod exists and checked
 * again after (ensureTrees in prepared-pod.ts), because `image gc` only holds back while a pod is preparing.
 */
import { ImageStore } from '../../image/index.js';
import type { PlanningContext, PreparedPod, PrepareOptions } from './prepared-pod.js';
import { createPreparedPod, fetcherFor, resolveImage } from './prepared-pod.js';
import type { ResolvedImage } from './plan-common.js';
import { planFromImages } from './plan-images.js';
import type { RunRequest } from './request.js';

export type { PlanningContext, PreparedPod, PrepareOptions } from './prepared-pod.js';

/** Prepare a pod from a parsed `run`/`prepare` command line (IMAGE arguments, or a pod file/manifest). */
export async function preparePod(ctx: PlanningContext, request: RunRequest, options: PrepareOptions): Promise<PreparedPod> {
  const { source } = request;
  if (source.kind !== 'images') {
    const pod = request.options;
    const dnsGiven = pod.dns.host || pod.dns.servers.length + pod.dns.searches.length + pod.dns.options.length > 0 || pod.dns.domain !== undefined;
    const hostsGiven = pod.hosts.host || pod.hosts.entries.length > 0;
    // Pod files need the podfile layer (YAML parser included): loaded only for them.
    const { preparePodFile } = await import('./prepare-pod-file.js');
    return preparePodFile(ctx, source.path, {
      ...options, appcOnly: source.kind === 'pod-manifest', stage1: pod.stage1,
      ...(pod.explicitNet === true ? { net: pod.net } : {}),
      ...(pod.hostname === undefined ? {} : { hostname: pod.hostname }),
      ...(dnsGiven ? { dns: pod.dns } : {}),
      ...(hostsGiven ? { hosts: pod.hosts } : {}),
      ...(pod.uuidFileSave === undefined ? {} : { uuidFileSave: pod.uuidFileSave }),
    });
  }
  const store = await ImageStore.open(ctx.dataDir);
  const fetcher = fetcherFor(ctx, store, options.pullPolicy ?? 'new', options, ctx.insecure);
  const images: ResolvedImage[] = [];
  for (const app of source.apps) images.push(await resolveImage(store, fetcher, app.image, app.signature, ctx.signal));
  const plan = await planFromImages(request, images, {
    insecure: ctx.insecure,
    ...(options.inheritedEnv === undefined ? {} : { inheritedEnv: options.inheritedEnv }),
    ...(ctx.onEvent === undefined ? {} : { onEvent: ctx.onEvent }),
  });
  return createPreparedPod(ctx, store, plan, { ...(options.keepLocked === undefined ? {} : { keepLocked: options.keepLocked }), uuidFileSave: request.options.uuidFileSave });
}
