/**
 * Helpers of the fetch tests (unit and e2e): busybox ACIs with chosen names and labels, keys
 * written into a keystore the way `rocklet trust` lays them out, and a snapshot of what the
 * image store holds (to prove a refused fetch changed nothing).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildAciResult } from '../../../src/image/index.js';
import { buildAci } from '../../../src/image/index.js';
import type { GpgKey } from '../../harness/index.js';
import { buildBusyboxRootfs } from '../../harness/index.js';

/** What a test ACI is named and labelled. */
export interface TestAciOptions {
  readonly name: string;
  readonly version?: string;
  readonly os?: string;
  readonly arch?: string;
  /** Written to rootfs/etc/marker: different markers make different images. */
  readonly marker?: string;
  readonly compression?: 'none' | 'gzip';
  /** The manifest's `dependencies`, as JSON. */
  readonly dependencies?: readonly Record<string, unknown>[];
}

/** Build a busybox ACI `out` (replacing it) from a fresh image dir `<out>.d`. */
export async function buildTestAci(out: string, options: TestAciOptions): Promise<BuildAciResult> {
  const dir = `${out}.d`;
  await rm(dir, { recursive: true, force: true });
  await buildBusyboxRootfs(path.join(dir, 'rootfs'));
  await writeFile(path.join(dir, 'rootfs', 'etc', 'marker'), `${options.marker ?? options.name}\n`);
  const labels = [
    { name: 'version', value: options.version ?? '1.0.0' },
    { name: 'os', value: options.os ?? 'linux' },
    { name: 'arch', value: options.arch ?? 'amd64' },
  ];
  const manifest = {
    acKind: 'ImageManifest', acVersion: '0.8.11', name: options.name, labels, app: { exec: ['/bin/sh'], user: '0', group: '0' },
    ...(options.dependencies === undefined ? {} : { dependencies: options.dependencies }),
  };
  await writeFile(path.join(dir, 'manifest'), JSON.stringify(manifest));
  return buildAci(dir, out, { compression: options.compression ?? 'gzip', overwrite: true });
}

/** Trust `key` for `prefix` (`root`: for every image) in `<configDir>/trustedkeys`, as `rocklet trust` would. */
export async function trustKey(configDir: string, key: GpgKey, prefix: string): Promise<void> {
  const dir = prefix === 'root'
    ? path.join(configDir, 'trustedkeys', 'root.d')
    : path.join(configDir, 'trustedkeys', 'prefix.d', ...prefix.split('/'));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, key.fingerprint.toLowerCase()), key.armoredPublicKey);
}

async function listIfPresent(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** File names in the image part of a store. */
export interface StoreContents {
  readonly index: string[];
  readonly blobs: string[];
  readonly trees: string[];
  readonly tmp: string[];
}

/** The image part of a store under `dataDir`: records, blobs, trees, work dirs (not caches or downloads). */
export async function storeContents(dataDir: string): Promise<StoreContents> {
  const images = path.join(dataDir, 'images');
  return {
    index: await listIfPresent(path.join(images, 'index')),
    blobs: await listIfPresent(path.join(images, 'blobs', 'sha512')),
    trees: await listIfPresent(path.join(images, 'trees')),
    tmp: await listIfPresent(path.join(images, 'tmp')),
  };
}

/** An HTML discovery page with the given meta tags. */
export function discoveryPage(tags: readonly { name: 'ac-discovery' | 'ac-discovery-pubkeys'; content: string }[]): string {
  const metas = tags.map((tag) => `    <meta name="${tag.name}" content="${tag.content}">`).join('\n');
  return `<!DOCTYPE html>\n<html>\n  <head>\n${metas}\n  </head>\n  <body>discovery</body>\n</html>\n`;
}

/** A random loopback address 127.x.y.z (x ≥ 100), so discovery servers on port 443 do not collide. */
export function randomLoopbackHost(): string {
  const byte = (): number => 1 + Math.floor(Math.random() * 250);
  return `127.${100 + Math.floor(Math.random() * 150)}.${byte()}.${byte()}`;
}
