/**
 * Helpers of the registry client tests: settings with a short stall timeout, the files a
 * directory holds (to prove nothing half-written is left), digests of files on disk, and the
 * digest of a tag in an OCI layout (what skopeo pushes unchanged).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FetchSettings } from '../../../src/image/index.js';
import { loadFetchSettings } from '../../../src/image/index.js';

/** Fetch settings for tests: no config file, the given stall timeout and CA. */
export function testSettings(dir: string, stallTimeout = '10s', caFile?: string): Promise<FetchSettings> {
  return loadFetchSettings(dir, { stallTimeout, ...(caFile === undefined ? {} : { caFile }) });
}

/** Sorted names in `dir` ([] when it is missing). */
export async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** `sha256:<hex>` of a file's content. */
export async function fileDigest(file: string): Promise<string> {
  return `sha256:${createHash('sha256').update(await readFile(file)).digest('hex')}`;
}

/** The manifest digest of `tag` in the OCI layout `layout`. */
export async function layoutDigest(layout: string, tag: string): Promise<string> {
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const found = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (found === undefined) throw new Error(`no tag ${tag} in ${layout}`);
  return found.digest;
}
