/**
 * @module image/trust/key-discovery — finds the public-key URLs of an image name prefix through
 * appc meta discovery (`ac-discovery-pubkeys`, formats.md §1.7, rkt.md §1.6 and §4.3).
 *
 * For `example.com/a/b`: GET `https://example.com/a/b?ac-discovery=1`, then `…/a`, then
 * `example.com`, until a page yields `ac-discovery-pubkeys` tags whose prefix covers the name;
 * all their key URLs are returned (rkt trusts every key a prefix publishes). A level that fails
 * (network error, non-200 status, no matching tag) moves the walk to its parent; with the `http`
 * insecure option a failed https level is retried over plain http first. The server's port is
 * the scheme's default: image names carry none (tests serve discovery on 127.x.y.z:443).
 */
import type { ACIdentifier } from '../format/aci/ac-types.js';
import { isRockletError, unavailable } from '../../util/index.js';
import type { HttpContext } from '../fetch/http-client.js';
import { discoveryPageUrl, parseDiscoveryTags, tagsFor } from './discovery-tags.js';
import { fetchSmallText } from './key-source.js';
import { prefixesOf } from './trust-scope.js';

/** Largest discovery page read. */
export const MAX_DISCOVERY_PAGE_BYTES = 1024 * 1024;

/** What discovery found for a name. */
export interface DiscoveredKeys {
  /** The level whose page had the tags (the name or a parent of it). */
  readonly level: string;
  /** The page that had them. */
  readonly page: string;
  /** Key URLs, in page order, without duplicates. */
  readonly urls: readonly string[];
}

function reasonOf(error: unknown): string {
  return isRockletError(error) || error instanceof Error ? error.message : String(error);
}

async function tryLevel(name: ACIdentifier, level: string, scheme: 'https' | 'http', context: HttpContext): Promise<DiscoveredKeys | string> {
  const page = discoveryPageUrl(level, scheme);
  let html: string;
  try {
    html = await fetchSmallText(page, context, MAX_DISCOVERY_PAGE_BYTES);
  } catch (error) {
    if (context.signal?.aborted === true) throw error;
    return reasonOf(error);
  }
  const urls = [...new Set(tagsFor(parseDiscoveryTags(html), 'ac-discovery-pubkeys', name).map((tag) => tag.url))];
  if (urls.length === 0) return `${page.href}: no ac-discovery-pubkeys tag for "${name}"`;
  return { level, page: page.href, urls };
}

/**
 * Discovers the key URLs published for `name`. Throws ERR_TRUST_DISCOVERY (unavailable) naming
 * every attempt when no level yields keys; the abort reason when the context's signal aborts.
 */
export async function discoverPublicKeys(name: ACIdentifier, context: HttpContext): Promise<DiscoveredKeys> {
  const attempts: string[] = [];
  for (const level of prefixesOf(name).reverse()) {
    const schemes: ('https' | 'http')[] = context.insecure.has('http') ? ['https', 'http'] : ['https'];
    for (const scheme of schemes) {
      const outcome = await tryLevel(name, level, scheme, context);
      if (typeof outcome !== 'string') return outcome;
      attempts.push(outcome);
    }
  }
  throw unavailable('ERR_TRUST_DISCOVERY', `error determining key location: prefix meta discovery error: no public keys found for "${name}" (${attempts.join('; ')})`, {
    hint: `give the key file or https URL explicitly: rocklet trust --prefix=${name} KEY`,
  });
}
