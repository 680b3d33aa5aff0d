/**
 * @module registry/platform — which entry of an index runs here. The host platform comes from
 * `process.arch` mapped to Go's names (x64 → amd64, arm64 → arm64/v8, arm → arm/v7 …); callers
 * may override it (`--platform linux/arm64`). Matching follows formats.md §2.2 step 6: os and
 * architecture must match, variants are compared after Go's defaults (arm64 → v8, arm → v7),
 * `unknown/unknown` attestation entries and unknown child media types are skipped.
 */
import { invalidArgument, notFound } from '../../util/index.js';
import type { Descriptor, Platform } from './descriptor.js';
import { formatPlatform } from './descriptor.js';
import type { ImageIndex } from './manifest.js';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from './media-types.js';

const NODE_TO_GO: Readonly<Record<string, Platform>> = {
  x64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
  ia32: { os: 'linux', architecture: '386' },
  ppc64: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
  loong64: { os: 'linux', architecture: 'loong64' },
  mips64el: { os: 'linux', architecture: 'mips64le' },
};

/** The platform images must have to run on this host (`arch` defaults to `process.arch`). */
export function hostPlatform(arch: string = process.arch): Platform {
  const platform = NODE_TO_GO[arch];
  if (platform === undefined) throw invalidArgument('ERR_REGISTRY_PLATFORM', `no OCI platform is known for the Node.js architecture "${arch}"`);
  return platform;
}

/** Parses `os/architecture[/variant]`, e.g. `linux/arm64/v8`. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  const [os = '', architecture = '', variant] = parts;
  if (parts.length < 2 || parts.length > 3 || os === '' || architecture === '' || variant === '') {
    throw invalidArgument('ERR_REGISTRY_PLATFORM', `invalid platform "${text}"`, { hint: 'expected OS/ARCHITECTURE[/VARIANT], e.g. linux/amd64 or linux/arm64/v8' });
  }
  return { os, architecture, ...(variant === undefined ? {} : { variant }) };
}

/** Go's default variants: an arm64 entry without a variant is v8, an arm one v7. */
function normalVariant(platform: Platform): string | undefined {
  if (platform.variant !== undefined) return platform.variant;
  if (platform.architecture === 'arm64') return 'v8';
  if (platform.architecture === 'arm') return 'v7';
  return undefined;
}

const CHILD_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST];

function usable(entry: Descriptor): entry is Descriptor & { readonly platform: Platform } {
  if (!CHILD_TYPES.includes(entry.mediaType) || entry.platform === undefined) return false;
  return !(entry.platform.os === 'unknown' && entry.platform.architecture === 'unknown');
}

/** True when an image built for `have` runs where `want` is needed. */
export function platformMatches(have: Platform, want: Platform): boolean {
  return have.os === want.os && have.architecture === want.architecture && normalVariant(have) === normalVariant(want);
}

/**
 * The first entry of `index` for `want`. `where` names the index in messages.
 * @throws `ERR_REGISTRY_NO_MATCHING_PLATFORM` listing the platforms the index has.
 */
export function selectPlatform(index: ImageIndex, want: Platform, where: string): Descriptor {
  const entries = index.manifests.filter(usable);
  const chosen = entries.find((entry) => platformMatches(entry.platform, want));
  if (chosen !== undefined) return chosen;
  const have = [...new Set(entries.map((entry) => formatPlatform(entry.platform)))];
  throw notFound('ERR_REGISTRY_NO_MATCHING_PLATFORM', `${where} has no image for ${formatPlatform(want)}; it has: ${have.length === 0 ? 'no runnable platforms' : have.join(', ')}`, {
    hint: 'pick an image built for this machine, or name another platform explicitly (os/architecture[/variant])',
  });
}
