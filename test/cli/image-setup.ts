/**
 * Test helpers for the `rocklet image …` CLI tests: a workspace (temp dir with `--dir` and
 * `--config-dir`), busybox-static image directories and ACIs, imports through the store API
 * (the `fetch` command belongs to another change), and listings of trees to compare.
 */
import { createHash } from 'node:crypto';
import { chmod, chown, link, lstat, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageId } from '../../src/image/index.js';
import { ImageStore, buildAci } from '../../src/image/index.js';
import { buildBusyboxRootfs, makeTempDir } from '../harness/index.js';
import { snapshot } from '../image/fixtures.js';
import type { CliResult } from './run-cli.js';
import { runRocklet } from './run-cli.js';

/** A temp dir holding a data dir (`--dir`), a config dir and scratch space. */
export interface ImageWorkspace {
  readonly root: string;
  readonly dataDir: string;
  readonly configDir: string;
  /** Run the built CLI with this workspace's `--dir` and `--config-dir`. */
  rocklet(args: readonly string[]): Promise<CliResult>;
  /** The image store of the data dir (the same files the CLI uses). */
  store(): Promise<ImageStore>;
  /** Every path under the data dir with type, size and content digest (the store lock excluded). */
  snapshot(): Promise<string[]>;
  remove(): Promise<void>;
}

export async function createWorkspace(label: string): Promise<ImageWorkspace> {
  const temp = await makeTempDir(label);
  const dataDir = path.join(temp.path, 'data');
  const configDir = path.join(temp.path, 'config');
  await mkdir(dataDir);
  await mkdir(configDir);
  return {
    root: temp.path,
    dataDir,
    configDir,
    rocklet: (args) => runRocklet([`--dir=${dataDir}`, `--config-dir=${configDir}`, ...args]),
    store: () => ImageStore.open(dataDir),
    snapshot: () => snapshot(dataDir),
    remove: () => temp.remove(),
  };
}

/** An ImageManifest for tests: name, version label, linux/amd64, and `extra` fields. */
export function imageManifest(name: string, version = '1.0.0', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    acKind: 'ImageManifest',
    acVersion: '0.8.11',
    name,
    labels: [{ name: 'version', value: version }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
    app: { exec: ['/bin/sh'], user: '0', group: '0' },
    ...extra,
  };
}

/**
 * `dir/manifest` + `dir/rootfs/`: the harness's busybox-static rootfs (applet symlinks,
 * /etc/passwd, a sticky /tmp) plus a setuid file, a hardlink, a setgid directory and a file
 * owned by 1000:1000, so modes, links and ownership are all exercised.
 */
export async function makeBusyboxImageDir(dir: string, manifest: Record<string, unknown>): Promise<void> {
  const rootfs = path.join(dir, 'rootfs');
  await buildBusyboxRootfs(rootfs);
  await writeFile(path.join(dir, 'manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(path.join(rootfs, 'bin/suid-tool'), '#!/bin/sh\necho hi\n');
  await chmod(path.join(rootfs, 'bin/suid-tool'), 0o4755);
  await link(path.join(rootfs, 'bin/busybox'), path.join(rootfs, 'bin/busybox-hardlink'));
  await mkdir(path.join(rootfs, 'srv/shared'), { recursive: true });
  await chmod(path.join(rootfs, 'srv/shared'), 0o2775);
  await writeFile(path.join(rootfs, 'srv/shared/owned.txt'), 'owned by 1000\n');
  await chown(path.join(rootfs, 'srv/shared/owned.txt'), 1000, 1000);
}

/** A small image directory: `dir/rootfs` holds only `files` (path → content) and their dirs. */
export async function makeSmallImageDir(dir: string, manifest: Record<string, unknown>, files: Record<string, string>): Promise<void> {
  await mkdir(path.join(dir, 'rootfs'), { recursive: true });
  await writeFile(path.join(dir, 'manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, 'rootfs', file)), { recursive: true });
    await writeFile(path.join(dir, 'rootfs', file), content);
  }
}

/** The ACIs of one image directory: gzip (as `actool build` writes) and plain tar, and its ID. */
export interface BuiltImage {
  readonly dir: string;
  readonly gzipAci: string;
  readonly plainAci: string;
  readonly id: ImageId;
}

/** Build `dir` into `<dir>.aci` (gzip) and `<dir>.tar.aci` (uncompressed) with the image API. */
export async function buildImage(dir: string): Promise<BuiltImage> {
  const gzipAci = `${dir}.aci`;
  const plainAci = `${dir}.tar.aci`;
  const built = await buildAci(dir, gzipAci, { compression: 'gzip' });
  const plain = await buildAci(dir, plainAci, { compression: 'none' });
  if (built.id !== plain.id) throw new Error(`gzip and plain builds of ${dir} differ: ${built.id} vs ${plain.id}`);
  return { dir, gzipAci, plainAci, id: plain.id };
}

/** Import `aci` into the workspace's store (what `rocklet fetch FILE` will do). */
export async function importImage(workspace: ImageWorkspace, aci: string): Promise<ImageId> {
  const store = await workspace.store();
  return (await store.importAci(aci)).record.id;
}

/**
 * One line per entry under `root` (root itself as `.`), sorted: path, type, permission bits
 * with setuid/setgid/sticky, owner, and for files size + SHA-256 + mtime (seconds), for
 * symlinks the target, for directories the mtime (seconds).
 */
export async function treeListing(root: string): Promise<string[]> {
  const lines: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '.' ? root : path.join(root, rel);
    const stats = await lstat(abs);
    const base = `${rel} ${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid}`;
    const seconds = Math.floor(stats.mtimeMs / 1000);
    if (stats.isSymbolicLink()) lines.push(`${base} symlink -> ${await readlink(abs)}`);
    else if (stats.isFile()) lines.push(`${base} file ${stats.size} ${createHash('sha256').update(await readFile(abs)).digest('hex').slice(0, 16)} ${seconds}`);
    else if (stats.isDirectory()) {
      lines.push(`${base} dir ${seconds}`);
      for (const name of (await readdir(abs)).sort()) await visit(rel === '.' ? name : `${rel}/${name}`);
    } else lines.push(`${base} special`);
  };
  await visit('.');
  return lines;
}

/** The lines of `text` without the trailing newline. */
export function linesOf(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}
