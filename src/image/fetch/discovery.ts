/**
 * @module fetch/discovery — appc meta discovery (formats.md §1.7, rkt.md §5.1): turn an image
 * name and labels into the URLs of its ACI and signature.
 *
 * For `example.com/a/b` the pages `https://example.com/a/b?ac-discovery=1`, then
 * `…/a?ac-discovery=1`, then `https://example.com?ac-discovery=1` are read until one yields a
 * usable tag; a level that fails (error, non-200, no tag) moves on to its parent. Plain HTTP is
 * tried for a level only with `--insecure-options=http`. Templates get `{name}`, `{ext}`
 * (`aci` / `aci.asc`) and every label; one left with a `{…}` placeholder is skipped. Key
 * discovery (`ac-discovery-pubkeys`) lives with trust (trust/key-discovery.ts), which shares
 * the tag parser used here.
 */
import { isRockletError, notFound } from '../../util/index.js';
import type { Label } from '../format/aci/manifest-labels.js';
import type { DiscoveryTag } from '../trust/discovery-tags.js';
import { discoveryPageUrl, parseDiscoveryTags, tagsFor } from '../trust/discovery-tags.js';
import type { HttpContext } from './http-client.js';
import { describeStatus, httpGet, readSmallBody } from './http-client.js';

/** Where an image and its signature live. */
export interface AciEndpoint {
  readonly aci: URL;
  readonly signature: URL;
}

/** A discovery page that yielded what was asked for. */
export interface Discovery<T> {
  readonly found: readonly T[];
  /** The page the tags came from. */
  readonly page: URL;
}

const MAX_PAGE_BYTES = 1024 * 1024;

/** `example.com/a/b` → `example.com/a/b`, `example.com/a`, `example.com`. */
export function discoveryPrefixes(name: string): string[] {
  const parts = name.split('/');
  return parts.map((_, index) => parts.slice(0, parts.length - index).join('/'));
}

/** Fill a template; undefined when a placeholder stays or the result is not a URL. */
export function renderTemplate(template: string, name: string, labels: readonly Label[], ext: string): URL | undefined {
  const values = new Map<string, string>([['name', name], ['ext', ext]]);
  for (const label of labels) if (!values.has(label.name)) values.set(label.name, label.value);
  const rendered = template.replace(/\{([^{}]*)\}/g, (whole, key: string) => values.get(key) ?? whole);
  if (/\{[^{}]*\}/.test(rendered)) return undefined;
  try {
    return new URL(rendered);
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function walk<T>(
  name: string,
  context: HttpContext,
  pick: (tags: readonly DiscoveryTag[]) => T[],
  what: string,
): Promise<Discovery<T>> {
  const failures: string[] = [];
  const schemes: ('https' | 'http')[] = context.insecure.has('http') ? ['https', 'http'] : ['https'];
  for (const prefix of discoveryPrefixes(name)) {
    for (const scheme of schemes) {
      const page = discoveryPageUrl(prefix, scheme);
      try {
        const response = await httpGet(page, { accept: 'text/html' }, context);
        if (response.status !== 200) {
          response.close();
          failures.push(`${page.href}: ${describeStatus(response)}`);
          continue;
        }
        const found = pick(parseDiscoveryTags(await readSmallBody(response, MAX_PAGE_BYTES)));
        if (found.length > 0) return { found, page: response.url };
        failures.push(`${page.href}: no ${what} tag for "${name}"`);
      } catch (error) {
        // A failing level is what discovery expects; anything but our own errors (an abort) stops it.
        if (!isRockletError(error)) throw error;
        failures.push(describeError(error));
      }
    }
  }
  throw notFound('ERR_DISCOVERY_FAILED', `meta discovery found no ${what} for "${name}":\n  ${failures.join('\n  ')}`, {
    hint: context.insecure.has('http') ? 'check the image name, or fetch the image by its https:// URL' : 'check the image name, or fetch the image by its https:// URL (plain HTTP discovery needs --insecure-options=http)',
  });
}

/**
 * The ACI endpoints for `name` with `labels` (the caller adds the defaults: version, os,
 * arch), https ones first. Throws `ERR_DISCOVERY_FAILED` listing what each level said.
 */
export function discoverImage(name: string, labels: readonly Label[], context: HttpContext): Promise<Discovery<AciEndpoint>> {
  return walk(name, context, (tags) => {
    const endpoints: AciEndpoint[] = [];
    for (const tag of tagsFor(tags, 'ac-discovery', name)) {
      const aci = renderTemplate(tag.url, name, labels, 'aci');
      const signature = renderTemplate(tag.url, name, labels, 'aci.asc');
      if (aci !== undefined && signature !== undefined) endpoints.push({ aci, signature });
    }
    return endpoints.sort((a, b) => Number(b.aci.protocol === 'https:') - Number(a.aci.protocol === 'https:'));
  }, 'ac-discovery');
}
