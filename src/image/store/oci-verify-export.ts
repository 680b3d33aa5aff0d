/**
 * @module store/oci-verify-export — `image verify` and `image export` of OCI/Docker images.
 * Verify re-hashes every blob the image is made of (manifest, config, layers) against its
 * digest and makes missing or stale layer trees again from the blobs. Export writes an OCI
 * image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) that `skopeo copy oci:DIR` and
 * `rocklet fetch oci:DIR` read; it is assembled in a temp dir next to the target and appears by
 * one rename.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alreadyExists, errnoCode, fsyncDir, verificationFailed, withLock } from '../../util/index.js';
import type { ImageRecord, OciImageRecord } from './image-record.js';
import { ensureOciTrees } from './oci-import.js';
import type { StoreLayout, TreeId } from './store-layout.js';

/** Every blob of an OCI image: [digest, what it is]. */
function blobsOf(oci: OciImageRecord): [string, string][] {
  return [[oci.manifestDigest, 'manifest'], [oci.configDigest, 'config'], ...oci.layers.map((layer, index): [string, string] => [layer.digest, `layer ${index + 1}`])];
}

async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, signal === undefined ? {} : { signal })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Check an OCI image's blobs and make its layer trees usable. Returns the layer trees, topmost
 * first. Errors: `ERR_IMAGE_CORRUPT` naming the blob that is missing or does not match.
 */
export async function verifyOci(layout: StoreLayout, record: ImageRecord, signal?: AbortSignal): Promise<TreeId[]> {
  const oci = record.oci;
  if (oci === undefined) throw new Error(`${record.id} is not an OCI image`);
  await withLock(layout.lock, 'shared', async () => {
    for (const [digest, what] of blobsOf(oci)) {
      let actual: string;
      try {
        actual = await sha256File(layout.ociBlob(digest), signal);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
        actual = 'nothing (the blob is missing)';
      }
      if (actual !== digest) {
        throw verificationFailed('ERR_IMAGE_CORRUPT', `the ${what} of ${record.id} (${digest}) hashes to ${actual}`, { hint: 'remove the image and fetch it again' });
      }
    }
  }, { signal });
  return ensureOciTrees(layout, record, signal);
}

/** Write `record` as an OCI image layout at `out` (a new directory unless `overwrite`). */
export async function exportOciLayout(layout: StoreLayout, record: ImageRecord, out: string, options: { readonly overwrite: boolean; readonly signal?: AbortSignal | undefined }): Promise<void> {
  const oci = record.oci;
  if (oci === undefined) throw new Error(`${record.id} is not an OCI image`);
  const target = out.replace(/\/+$/, '');
  if (!options.overwrite) {
    try {
      await mkdir(target);
      await rm(target, { recursive: true });
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') throw alreadyExists('ERR_OUTPUT_EXISTS', `${target} already exists`, { hint: 'pass --overwrite to replace it' });
      throw error;
    }
  }
  const work = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await mkdir(path.join(work, 'blobs', 'sha256'), { recursive: true, mode: 0o755 });
    await withLock(layout.lock, 'shared', async () => {
      for (const [digest] of blobsOf(oci)) {
        await copyFile(layout.ociBlob(digest), path.join(work, 'blobs', 'sha256', digest.slice('sha256:'.length)), fsConstants.COPYFILE_FICLONE);
      }
    }, { signal: options.signal });
    const { size } = await stat(layout.ociBlob(oci.manifestDigest));
    const tag = /:([\w][\w.-]*)$/.exec((oci.references[0] ?? '').replace(/@.*$/, ''))?.[1];
    const manifest = {
      mediaType: oci.manifestMediaType, digest: oci.manifestDigest, size,
      ...(tag === undefined ? {} : { annotations: { 'org.opencontainers.image.ref.name': tag } }),
    };
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [manifest] };
    await writeFile(path.join(work, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}\n');
    await writeFile(path.join(work, 'index.json'), `${JSON.stringify(index)}\n`);
    if (options.overwrite) await rm(target, { recursive: true, force: true });
    await rename(work, target);
    await fsyncDir(path.dirname(target));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
