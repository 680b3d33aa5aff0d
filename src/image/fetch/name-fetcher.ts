/**
 * @module fetch/name-fetcher — an appc image name (`example.com/app:1.0,os=linux`): the store
 * under `new` and `never`, else meta discovery and the URL fetcher, whose result must match
 * the request (name, given labels, and the os/arch defaults). rkt used only the first
 * discovered endpoint; so do we (https ones sort first).
 */
import type { AppString } from '../format/aci/app-string.js';
import type { FetchContext, FetchResult } from './context.js';
import { notInStore } from './context.js';
import { discoverImage } from './discovery.js';
import type { ImageRequest } from './image-request.js';
import { findInStore, imageRequest, templateLabels } from './image-request.js';
import { fetchUrl } from './url-fetcher.js';

/** Fetch the image `app` names; `text` is the argument as typed (for messages). */
export async function fetchName(context: FetchContext, app: AppString, text: string): Promise<FetchResult> {
  return fetchRequest(context, imageRequest(app), text);
}

/** Fetch the image answering `request`. */
export async function fetchRequest(context: FetchContext, request: ImageRequest, text: string): Promise<FetchResult> {
  if (context.pullPolicy !== 'update') {
    const found = findInStore(await context.store.list(), request);
    if (found !== undefined) {
      context.emit({ kind: 'store-hit', reference: text, imageId: found.id });
      await context.store.touch(found.id);
      return { record: found, origin: 'store', verified: undefined };
    }
    if (context.pullPolicy === 'never') throw notInStore(text);
  }
  const discovery = await discoverImage(request.name, templateLabels(request), context.http);
  const [endpoint] = discovery.found;
  if (endpoint === undefined) throw new Error(`discovery of ${request.name} returned no endpoint`);
  context.emit({ kind: 'discovered', name: text, url: endpoint.aci.href });
  return fetchUrl(context, { url: endpoint.aci, signature: { kind: 'url', url: endpoint.signature }, display: text, request });
}
