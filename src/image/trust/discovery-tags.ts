/**
 * @module image/trust/discovery-tags — the `<meta>` tags of appc meta discovery (formats.md §1.7):
 * `<meta name="ac-discovery" content="PREFIX URL-TEMPLATE">` and
 * `<meta name="ac-discovery-pubkeys" content="PREFIX KEYS-URL">`, parsed from a discovery page.
 *
 * Pure text processing; the page is small and untrusted, so the parser is a tolerant scan of
 * `<meta …>` tags (attributes in any order, either quote style, basic entities), not an HTML
 * parser. A tag applies to an image name when its PREFIX covers the name on a `/` boundary
 * (stricter than appc's plain string prefix, as formats.md §1.7 recommends).
 */
import { prefixCovers } from './trust-scope.js';

/** The discovery tag names we read. */
export const DISCOVERY_TAG_NAMES = ['ac-discovery', 'ac-discovery-pubkeys'] as const;
export type DiscoveryTagName = (typeof DISCOVERY_TAG_NAMES)[number];

/** One usable discovery tag. */
export interface DiscoveryTag {
  readonly name: DiscoveryTagName;
  /** The image-name prefix the tag is for. */
  readonly prefix: string;
  /** A URL template (`ac-discovery`) or a key URL (`ac-discovery-pubkeys`), as written. */
  readonly url: string;
}

const META_TAG = /<meta\b([^>]*)>/gi;
const ATTRIBUTE = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#39);/g, (_, entity: string) => ENTITIES[entity] ?? '');
}

function attributesOf(tagBody: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of tagBody.matchAll(ATTRIBUTE)) {
    const key = (match[1] ?? '').toLowerCase();
    if (!attributes.has(key)) attributes.set(key, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return attributes;
}

function isTagName(value: string): value is DiscoveryTagName {
  return (DISCOVERY_TAG_NAMES as readonly string[]).includes(value);
}

/** Every discovery tag in `html`, in page order; tags without a prefix and a URL are dropped. */
export function parseDiscoveryTags(html: string): DiscoveryTag[] {
  const tags: DiscoveryTag[] = [];
  for (const match of html.matchAll(META_TAG)) {
    const attributes = attributesOf(match[1] ?? '');
    const name = attributes.get('name') ?? '';
    if (!isTagName(name)) continue;
    const [prefix, url, ...rest] = (attributes.get('content') ?? '').trim().split(/\s+/);
    if (prefix === undefined || prefix === '' || url === undefined || url === '' || rest.length > 0) continue;
    tags.push({ name, prefix, url });
  }
  return tags;
}

/** The tags named `name` whose prefix covers `imageName`. */
export function tagsFor(tags: readonly DiscoveryTag[], name: DiscoveryTagName, imageName: string): DiscoveryTag[] {
  return tags.filter((tag) => tag.name === name && prefixCovers(tag.prefix, imageName));
}

/** The discovery URL of one level of the walk: `https://example.com/app?ac-discovery=1`. */
export function discoveryPageUrl(level: string, scheme: 'https' | 'http'): URL {
  return new URL(`${scheme}://${level}?ac-discovery=1`);
}
