/**
 * @module harness/oci-image — test images for registry tests: busybox-based OCI image layouts
 * built with umoci (unpack → fill the rootfs → repack, which gives clean `./bin/…` layer
 * entries), multi-platform indexes written into the same layout, and `skopeo copy` pushes to
 * a loopback registry. Needs root (umoci unpack) and the umoci and skopeo packages.
 */
import { createHash } from 'node:crypto';
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execChecked } from './exec.js';
import { buildBusyboxRootfs } from './rootfs.js';

/** What a test image holds. */
export interface OciImageOptions {
  /** The tag inside the layout (`org.opencontainers.image.ref.name`). */
  readonly tag: string;
  /** Written to `/etc/marker`: different markers make different layers. */
  readonly marker?: string;
  /** The config's architecture (default amd64). */
  readonly architecture?: string;
  /** Extra layers on top of the base, each adding `/extra/<n>` (default 0). */
  readonly extraLayers?: number;
}

/** A descriptor in a layout's index.json. */
interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

const REF_NAME = 'org.opencontainers.image.ref.name';

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Adds image `options.tag` to the OCI layout `layout` (created if missing). */
export async function buildOciImage(layout: string, options: OciImageOptions): Promise<void> {
  if (!(await exists(join(layout, 'oci-layout')))) await execChecked(['umoci', 'init', '--layout', layout]);
  const image = `${layout}:${options.tag}`;
  const bundle = `${layout}.bundle-${options.tag}`;
  await execChecked(['umoci', 'new', '--image', image]);
  try {
    await execChecked(['umoci', 'unpack', '--image', image, bundle]);
    await buildBusyboxRootfs(join(bundle, 'rootfs'));
    await writeFile(join(bundle, 'rootfs', 'etc', 'marker'), `${options.marker ?? options.tag}\n`);
    await execChecked(['umoci', 'repack', '--image', image, bundle]);
    for (let n = 1; n <= (options.extraLayers ?? 0); n++) {
      // repack diffs against the image the bundle was unpacked from: unpack again per layer.
      await rm(bundle, { recursive: true, force: true });
      await execChecked(['umoci', 'unpack', '--image', image, bundle]);
      await execChecked(['mkdir', '-p', join(bundle, 'rootfs', 'extra')]);
      await writeFile(join(bundle, 'rootfs', 'extra', String(n)), `layer ${n} of ${options.tag}\n`);
      await execChecked(['umoci', 'repack', '--image', image, bundle]);
    }
  } finally {
    await rm(bundle, { recursive: true, force: true });
  }
  await execChecked(['umoci', 'config', '--image', image, '--config.cmd', '/bin/sh', '--config.env', 'PATH=/bin:/usr/bin',
    '--config.workingdir', '/root', '--config.exposedports', '8080/tcp', '--os', 'linux', '--architecture', options.architecture ?? 'amd64']);
}

/** Writes an OCI index of the images `entries` (by tag) into `layout`, tagged `tag`. */
export async function addOciIndex(layout: string, tag: string, entries: readonly { tag: string; platform: { os: string; architecture: string; variant?: string } }[]): Promise<string> {
  const indexFile = join(layout, 'index.json');
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as { schemaVersion: number; manifests: LayoutDescriptor[] };
  const manifests = entries.map((entry) => {
    const found = index.manifests.find((m) => m.annotations?.[REF_NAME] === entry.tag);
    if (found === undefined) throw new Error(`addOciIndex: no image tagged ${entry.tag} in ${layout}`);
    return { mediaType: found.mediaType, digest: found.digest, size: found.size, platform: entry.platform };
  });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(layout, 'blobs', 'sha256', hex), bytes);
  index.manifests.push({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${hex}`, size: bytes.length, annotations: { [REF_NAME]: tag } });
  await writeFile(indexFile, JSON.stringify(index));
  return `sha256:${hex}`;
}

/** Options of {@link pushImage}. */
export interface PushOptions {
  /** `v2s2` converts to Docker schema 2 (default: keep OCI). */
  readonly format?: 'oci' | 'v2s2';
  /** Push an index with all its images. */
  readonly all?: boolean;
  /** `user:password` for the registry. */
  readonly creds?: string;
}

/** `skopeo copy oci:<layout>:<tag> docker://<dest>` (plain HTTP to the loopback registry). */
export async function pushImage(layout: string, tag: string, dest: string, options: PushOptions = {}): Promise<void> {
  await execChecked(['skopeo', 'copy', '--quiet', '--dest-tls-verify=false',
    ...(options.format === 'v2s2' ? ['--format', 'v2s2'] : []),
    ...(options.all === true ? ['--all'] : []),
    ...(options.creds === undefined ? [] : ['--dest-creds', options.creds]),
    `oci:${layout}:${tag}`, `docker://${dest}`]);
}

/** One entry of a hand-made layer (see {@link addRawLayer}). */
export interface LayerEntry {
  readonly name: string;
  readonly type?: 'file' | 'directory' | 'symlink' | 'link';
  readonly body?: string;
  readonly linkname?: string;
  readonly mode?: number;
}

/** Writes a plain tar of `entries` (tar-stream: names are written as given, `..` included). */
export async function writeLayerTar(file: string, entries: readonly LayerEntry[]): Promise<void> {
  const { pack } = await import('tar-stream');
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const header = {
      name: entry.name, type, mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: new Date(0),
      ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
    };
    if (type === 'file') archive.entry(header, entry.body ?? '');
    else archive.entry(header);
  }
  archive.finalize();
  await done;
  await writeFile(file, Buffer.concat(chunks));
}

/**
 * Appends the plain tar `tarFile` verbatim as a new layer of `layout:tag` (umoci gzips it and
 * records its DiffID), optionally as a new tag. Safe-extraction tests use it for layers no
 * honest tool writes (`..` names, hardlinks out of the tree, a cut archive).
 */
export async function addRawLayer(layout: string, tag: string, tarFile: string, newTag?: string): Promise<void> {
  await execChecked(['umoci', 'raw', 'add-layer', '--image', `${layout}:${tag}`, ...(newTag === undefined ? [] : ['--tag', newTag]), tarFile]);
}

/** Sets the config's Entrypoint and Cmd (an empty list clears one) and User of `layout:tag`, optionally as a new tag. */
export async function setCommand(layout: string, tag: string, run: { entrypoint: readonly string[]; cmd: readonly string[]; user?: string; env?: readonly string[]; newTag?: string }): Promise<void> {
  await execChecked(['umoci', 'config', '--image', `${layout}:${tag}`, ...(run.newTag === undefined ? [] : ['--tag', run.newTag]),
    '--clear=config.entrypoint', '--clear=config.cmd', ...(run.user === undefined ? [] : ['--config.user', run.user]),
    ...(run.env ?? []).flatMap((entry) => ['--config.env', entry]),
    ...run.entrypoint.flatMap((word) => ['--config.entrypoint', word]), ...run.cmd.flatMap((word) => ['--config.cmd', word])]);
}

/**
 * Adds image `newTag` to `layout`: `fromTag` plus two layers. The lower adds `/opq/old`,
 * `/gone/file` and `/keep`; the upper makes `/opq` opaque (keeping only its own `/opq/new`)
 * and whites out `/gone` and `/etc/marker`. Seen through the layers: `/opq` holds `new`,
 * `/gone` and `/etc/marker` do not exist, `/keep` reads `kept`.
 */
export async function buildWhiteoutImage(layout: string, fromTag: string, newTag: string, workDir: string): Promise<void> {
  const lower = join(workDir, `${newTag}-lower.tar`);
  await writeLayerTar(lower, [
    { name: 'opq/', type: 'directory' }, { name: 'opq/old', body: 'old\n' }, { name: 'gone/', type: 'directory' }, { name: 'gone/file', body: 'x' },
    { name: 'keep', body: 'kept\n' },
  ]);
  await addRawLayer(layout, fromTag, lower, newTag);
  const upper = join(workDir, `${newTag}-upper.tar`);
  await writeLayerTar(upper, [
    { name: 'opq/', type: 'directory' }, { name: 'opq/.wh..wh..opq' }, { name: 'opq/new', body: 'new\n' },
    { name: '.wh.gone' }, { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.marker' },
  ]);
  await addRawLayer(layout, newTag, upper);
}
