/**
 * @module fetch/layout-source — reading an image out of an OCI image layout directory (what
 * `skopeo copy … oci:DIR:TAG` writes, and inside `oci-archive:` and newer `docker save` tars)
 * or a classic `docker save` directory (`manifest.json` + config + uncompressed layer tars).
 * Every blob is checked against its digest before it is used; a classic archive gets the
 * Docker schema 2 manifest skopeo would compute for it. Reads only: the caller copies layers.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { errnoCode, invalidArgument, notFound, verificationFailed } from '../../util/index.js';
import type { BlobTarget } from '../registry/client.js';
import type { Descriptor, Platform } from '../registry/descriptor.js';
import type { ImageConfig } from '../registry/image-config.js';
import { parseImageConfig } from '../registry/image-config.js';
import type { ImageManifest } from '../registry/manifest.js';
import { parseManifest } from '../registry/manifest.js';
import { DOCKER_CONFIG, DOCKER_MANIFEST } from '../registry/media-types.js';
import { hostPlatform, selectPlatform } from '../registry/platform.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** An image found in a layout, verified up to its layers. */
export interface LayoutImage {
  readonly digest: string;
  readonly manifest: ImageManifest;
  readonly manifestBytes: Buffer;
  readonly config: ImageConfig;
  readonly configBytes: Buffer;
  /** Where each layer's blob is, by digest. */
  readonly blobFiles: ReadonlyMap<string, string>;
  /** The tag the image carries in the layout (or the archive's first RepoTag). */
  readonly tag: string | undefined;
}

async function readJson(file: string, where: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound('ERR_OCI_LAYOUT', `${where}: ${path.basename(file)} is missing`, { hint: 'expected an OCI image layout (oci-layout, index.json, blobs/) or a docker save archive' });
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidArgument('ERR_OCI_LAYOUT', `${where}: ${path.basename(file)} is not JSON`, { cause: error });
  }
}

/** The bytes of blob `digest` of the layout at `dir`, checked against the digest. */
async function verifiedBlob(dir: string, digest: string, where: string): Promise<Buffer> {
  const bytes = await readFile(blobPath(dir, digest)).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') throw notFound('ERR_OCI_LAYOUT', `${where}: blob ${digest} is missing`);
    throw error;
  });
  if (sha256(bytes) !== digest) throw verificationFailed('ERR_OCI_BLOB_DIGEST', `${where}: blob ${digest} hashes to ${sha256(bytes)}`, { hint: 'the layout is corrupt; do not use it' });
  return bytes;
}

function blobPath(dir: string, digest: string): string {
  const [algorithm = '', hex = ''] = digest.split(':');
  if (algorithm !== 'sha256' || !/^[0-9a-f]{64}$/.test(hex)) throw invalidArgument('ERR_OCI_LAYOUT', `unsupported digest ${digest}`);
  return path.join(dir, 'blobs', algorithm, hex);
}

/** Reads `dir` as an OCI image layout; `tag` selects the image (needed when there are several). */
export async function readOciLayout(dir: string, tag: string | undefined, platform: Platform | undefined, where: string): Promise<LayoutImage> {
  const index = await readJson(path.join(dir, 'index.json'), where) as { manifests?: (Descriptor & { annotations?: Record<string, string> })[] };
  const entries = Array.isArray(index.manifests) ? index.manifests : [];
  const tags = entries.map((entry) => entry.annotations?.[REF_NAME]).filter((name): name is string => name !== undefined);
  const chosen = tag === undefined ? (entries.length === 1 ? entries[0] : undefined) : entries.find((entry) => entry.annotations?.[REF_NAME] === tag);
  if (chosen === undefined) {
    throw notFound('ERR_OCI_LAYOUT_TAG', `${where}: ${tag === undefined ? `holds ${entries.length} images; name one` : `has no image tagged "${tag}"`} (tags: ${tags.join(', ') || 'none'})`, {
      hint: 'oci:DIR:TAG',
    });
  }
  let descriptor: Descriptor = chosen;
  for (let depth = 0; ; depth++) {
    const bytes = await verifiedBlob(dir, descriptor.digest, where);
    const parsed = parseManifest(bytes, descriptor.mediaType, `${where}@${descriptor.digest}`);
    if (parsed.kind === 'index') {
      if (depth >= 4) throw invalidArgument('ERR_OCI_LAYOUT', `${where}: indexes nested too deep`);
      descriptor = selectPlatform(parsed, platform ?? hostPlatform(), `${where}@${descriptor.digest}`);
      continue;
    }
    const configBytes = await verifiedBlob(dir, parsed.config.digest, where);
    const config = parseImageConfig(configBytes, `the config of ${where}`);
    const blobFiles = new Map(parsed.layers.map((layer) => [layer.digest, blobPath(dir, layer.digest)] as const));
    return { digest: descriptor.digest, manifest: parsed, manifestBytes: bytes, config, configBytes, blobFiles, tag: tag ?? chosen.annotations?.[REF_NAME] };
  }
}

/** Reads a classic `docker save` directory (manifest.json); `reference` picks a RepoTag. */
export async function readDockerSave(dir: string, reference: string | undefined, where: string): Promise<LayoutImage> {
  const list = await readJson(path.join(dir, 'manifest.json'), where) as { Config?: string; RepoTags?: string[]; Layers?: string[] }[];
  const entry = Array.isArray(list) ? (reference === undefined ? list[0] : list.find((item) => item.RepoTags?.includes(reference) === true)) : undefined;
  if (entry === undefined || typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) {
    throw notFound('ERR_OCI_LAYOUT_TAG', `${where}: ${reference === undefined ? 'manifest.json names no image' : `no image tagged "${reference}"`}`);
  }
  const inside = (name: string): string => {
    const resolved = path.resolve(dir, name);
    if (!resolved.startsWith(`${dir}${path.sep}`)) throw invalidArgument('ERR_OCI_LAYOUT', `${where}: "${name}" points outside the archive`);
    return resolved;
  };
  const configBytes = await readFile(inside(entry.Config));
  const config = parseImageConfig(configBytes, `the config of ${where}`);
  const blobFiles = new Map<string, string>();
  const layers: Descriptor[] = [];
  for (const name of entry.Layers) {
    const file = inside(name);
    const digest = await digestFile(file);
    blobFiles.set(digest, file);
    layers.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: digest as Descriptor['digest'], size: (await stat(file)).size });
  }
  const manifestBytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_CONFIG, size: configBytes.length, digest: sha256(configBytes) },
    layers,
  }));
  const manifest = parseManifest(manifestBytes, DOCKER_MANIFEST, where);
  if (manifest.kind !== 'image') throw new Error('a synthesized manifest is an image manifest');
  return { digest: sha256(manifestBytes), manifest, manifestBytes, config, configBytes, blobFiles, tag: entry.RepoTags?.[0] };
}

async function digestFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Copies each target's blob from `files` to its dest, verifying digest and size on the way. */
export async function copyBlobs(files: ReadonlyMap<string, string>, targets: readonly BlobTarget[], signal: AbortSignal | undefined, where: string): Promise<void> {
  for (const { descriptor, dest } of targets) {
    const source = files.get(descriptor.digest);
    if (source === undefined) throw notFound('ERR_OCI_LAYOUT', `${where}: blob ${descriptor.digest} is missing`);
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({ transform(chunk: Buffer, _encoding, done) { hash.update(chunk); bytes += chunk.length; done(null, chunk); } });
    try {
      const [input, output] = [createReadStream(source), createWriteStream(dest, { flags: 'wx', mode: 0o600 })];
      if (signal === undefined) await pipeline(input, tap, output);
      else await pipeline(input, tap, output, { signal });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw notFound('ERR_OCI_LAYOUT', `${where}: blob ${descriptor.digest} is missing`);
      throw error;
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== descriptor.digest || bytes !== descriptor.size) {
      throw verificationFailed('ERR_OCI_BLOB_DIGEST', `${where}: blob ${descriptor.digest} (${descriptor.size} bytes) holds ${bytes} bytes hashing to ${actual}`, { hint: 'the layout is corrupt; do not use it' });
    }
  }
}
