/**
 * @module fetch/archive-fetcher — the local OCI transports, as skopeo and docker write them:
 * `oci:DIR[:TAG]` (an OCI image layout directory), `oci-archive:FILE[:TAG]` (that layout in a
 * tar) and `docker-archive:FILE[:REFERENCE]` (`docker save`: classic `manifest.json`, or the
 * OCI layout newer Docker writes). An archive is unpacked with the store's safe extraction into
 * a store work dir first. Then as for a registry: every blob verified, the signature policy,
 * only the layers the store lacks copied in, the store's OCI import. Local files are always
 * imported (like ACI files), whatever the pull policy.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument } from '../../util/index.js';
import { parseDockerReference } from '../format/oci/docker-reference.js';
import type { OciOrigin } from '../format/oci/image-app.js';
import { unpackLayer } from '../store/layer-unpack.js';
import type { FetchContext, FetchResult } from './context.js';
import { noSpace } from './docker-fetcher.js';
import type { LayoutImage } from './layout-source.js';
import { copyBlobs, readDockerSave, readOciLayout } from './layout-source.js';
import { checkImagePlatform, commitOciImage } from './oci-commit.js';
import type { OciTransport } from './signature-policy.js';

/** A parsed `oci:`/`oci-archive:`/`docker-archive:` argument. */
export interface ArchiveSource {
  readonly transport: Exclude<OciTransport, 'docker'>;
  /** Absolute path of the directory or file. */
  readonly path: string;
  /** The tag (oci) or reference (docker-archive) after the path, if any. */
  readonly tag: string | undefined;
}

const PREFIX = /^(oci|oci-archive|docker-archive):(.*)$/;

/** Parses `oci:DIR[:TAG]` and friends (the path ends at the first `:`, as in skopeo); undefined for anything else. */
export function parseArchiveSource(text: string, cwd: string): ArchiveSource | undefined {
  const match = PREFIX.exec(text);
  if (match === null || text.startsWith('oci://')) return undefined;
  const transport = match[1] as ArchiveSource['transport'];
  const rest = match[2] ?? '';
  const colon = rest.indexOf(':');
  const location = colon === -1 ? rest : rest.slice(0, colon);
  const tag = colon === -1 ? undefined : rest.slice(colon + 1);
  if (location === '' || tag === '') throw invalidArgument('ERR_IMAGE_REFERENCE', `invalid image "${text}"`, { hint: `${transport}:PATH[:${transport === 'docker-archive' ? 'REFERENCE' : 'TAG'}]` });
  return { transport, path: path.resolve(cwd, location), tag };
}

function originOf(source: ArchiveSource, image: LayoutImage): OciOrigin {
  const named = source.transport === 'docker-archive' && image.tag !== undefined ? parseDockerReference(image.tag) : undefined;
  if (named !== undefined) return { domain: named.domain, path: named.path, ...(named.tag === undefined ? {} : { tag: named.tag }), manifestDigest: image.digest };
  const base = path.basename(source.path).replace(/\.(tar|tgz|tar\.gz)$/, '') || 'image';
  return { domain: 'localhost', path: base, ...(image.tag === undefined ? {} : { tag: image.tag }), manifestDigest: image.digest };
}

async function readSource(context: FetchContext, source: ArchiveSource, workPath: string, where: string): Promise<LayoutImage> {
  if (source.transport === 'oci') return readOciLayout(source.path, source.tag, context.platform, where);
  const dir = path.join(workPath, 'archive');
  await mkdir(dir, { mode: 0o700 });
  await unpackLayer(source.path, dir, { sourceName: where, lowerRootfs: [], signal: context.http.signal });
  if (source.transport === 'oci-archive') return readOciLayout(dir, source.tag, context.platform, where);
  try {
    return await readDockerSave(dir, source.tag, where);
  } catch (error) {
    // Docker 25 and later save an OCI layout (with a legacy manifest.json only sometimes).
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ERR_OCI_LAYOUT') return readOciLayout(dir, undefined, context.platform, where);
    throw error;
  }
}

/** Imports the image of `source`. Errors: the layout's (`ERR_OCI_LAYOUT*`, `ERR_OCI_BLOB_DIGEST`), the policy's, the import's. */
export async function fetchArchive(context: FetchContext, source: ArchiveSource): Promise<FetchResult> {
  const where = `${source.transport}:${source.path}${source.tag === undefined ? '' : `:${source.tag}`}`;
  await context.signaturePolicy.precheck?.({ transport: source.transport, reference: where });
  context.emit({ kind: 'file', path: source.path });
  const work = await context.store.workDir(context.http.signal);
  try {
    const image = await readSource(context, source, work.path, where);
    checkImagePlatform(image.config, context.platform, where);
    const accepted = await context.signaturePolicy.check({
      transport: source.transport, reference: where, manifestDigest: image.digest, manifestBytes: image.manifestBytes, signal: context.http.signal,
    });
    return await commitOciImage(context, {
      transport: source.transport,
      reference: where,
      origin: originOf(source, image),
      resolved: { digest: image.digest, manifest: image.manifest, manifestBytes: image.manifestBytes, config: image.config, configBytes: image.configBytes },
      verification: accepted.verification,
      download: (targets, signal) => copyBlobs(image.blobFiles, targets, signal, where),
    });
  } catch (error) {
    throw noSpace(error, where, context.store.layout.root);
  } finally {
    await work.release();
  }
}
