/**
 * Test fixtures for the image layer: busybox-static image directories, GNU tar archives and
 * hand-made (possibly malicious) tars built with tar-stream.
 */
import { execFile } from 'node:child_process';
import { copyFile, chmod, link, mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Header } from 'tar-stream';
import { pack as createPack } from 'tar-stream';

export const run = promisify(execFile);

export const IS_ROOT = process.getuid?.() === 0;

/** A fresh temp dir; the caller registers its removal with `after`. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `rocklet-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A minimal valid ImageManifest. */
export function manifestJson(name = 'example.com/busybox', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    acKind: 'ImageManifest',
    acVersion: '0.8.11',
    name,
    labels: [{ name: 'version', value: '1.0.0' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
    app: { exec: ['/bin/sh'], user: '0', group: '0' },
    ...extra,
  };
}

/**
 * An image directory: `manifest` + `rootfs/` with /bin/busybox (copied from the host), applet
 * symlinks, a hardlink, a setuid file, a fifo, /etc/passwd, a file with a user xattr and, when
 * root, a device node and non-root ownership.
 */
export async function makeImageDir(dir: string, manifest: Record<string, unknown> = manifestJson()): Promise<void> {
  const rootfs = path.join(dir, 'rootfs');
  await mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await mkdir(path.join(rootfs, 'etc'), { recursive: true });
  await mkdir(path.join(rootfs, 'dev'), { recursive: true });
  await mkdir(path.join(rootfs, 'srv', 'data'), { recursive: true });
  await writeFile(path.join(dir, 'manifest'), JSON.stringify(manifest, null, 2));
  await copyFile('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  await chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'ls', 'cat', 'echo']) await symlink('busybox', path.join(rootfs, 'bin', applet));
  await symlink('/bin/busybox', path.join(rootfs, 'bin', 'true'));
  await link(path.join(rootfs, 'bin', 'busybox'), path.join(rootfs, 'bin', 'busybox-hardlink'));
  await writeFile(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
  await writeFile(path.join(rootfs, 'bin', 'suid-tool'), '#!/bin/sh\necho hi\n');
  await chmod(path.join(rootfs, 'bin', 'suid-tool'), 0o4755);
  await writeFile(path.join(rootfs, 'srv', 'data', 'notes.txt'), 'some notes\n');
  await chmod(path.join(rootfs, 'srv', 'data'), 0o2775);
  await run('mknod', [path.join(rootfs, 'srv', 'pipe'), 'p']);
  await setUserXattr(path.join(rootfs, 'etc', 'passwd'), 'user.origin', 'rocklet-test');
  if (IS_ROOT) {
    await run('mknod', [path.join(rootfs, 'dev', 'null'), 'c', '1', '3']);
    await chmod(path.join(rootfs, 'dev', 'null'), 0o666);
    await run('chown', ['-h', '1000:1000', path.join(rootfs, 'srv', 'data', 'notes.txt')]);
    await run('chown', ['-h', '33:33', path.join(rootfs, 'srv', 'data')]);
  }
}

interface NativeXattr {
  setAttr(fd: number, name: string, value: Buffer): Promise<void>;
  getAttr(fd: number, name: string): Promise<Buffer | null>;
}
const nativeXattr = createRequire(import.meta.url)('fs-native-extensions') as NativeXattr;

export async function setUserXattr(file: string, name: string, value: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await nativeXattr.setAttr(handle.fd, name, Buffer.from(value));
  } finally {
    await handle.close();
  }
}

export async function getXattr(file: string, name: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    return (await nativeXattr.getAttr(handle.fd, name))?.toString();
  } finally {
    await handle.close();
  }
}

/** `tar -C dir -cf out manifest rootfs` with GNU tar (pax format with xattrs). */
export async function gnuTar(dir: string, out: string): Promise<void> {
  await run('tar', ['--format=posix', '--xattrs', '--xattrs-include=user.*', '-C', dir, '-cf', out, 'manifest', 'rootfs']);
}

/** One entry of a hand-made tar. */
export interface RawEntry {
  readonly header: Partial<Header> & Pick<Header, 'name'>;
  readonly content?: string | Buffer;
}

/** A tar archive of exactly these entries, built with tar-stream. */
export async function makeTar(entries: readonly RawEntry[]): Promise<Buffer> {
  const pack = createPack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { header, content } of entries) {
    await new Promise<void>((resolve, reject) => {
      const callback = (error?: Error | null): void => (error ? reject(error) : resolve());
      if (content === undefined) pack.entry({ mode: 0o644, mtime: new Date(1_700_000_000_000), ...header }, callback);
      else pack.entry({ mode: 0o644, mtime: new Date(1_700_000_000_000), ...header }, content, callback);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** The entries of a valid minimal ACI, to which tests add their own. */
export function minimalEntries(manifest: Record<string, unknown> = manifestJson()): RawEntry[] {
  return [
    { header: { name: 'manifest', type: 'file' }, content: JSON.stringify(manifest) },
    { header: { name: 'rootfs', type: 'directory', mode: 0o755 } },
    { header: { name: 'rootfs/etc', type: 'directory', mode: 0o755 } },
    { header: { name: 'rootfs/etc/hostname', type: 'file' }, content: 'box\n' },
  ];
}

/** Every path under `dir` with its type and, for files, size and SHA-256 (the store's `lock` file excluded). */
export async function snapshot(dir: string): Promise<string[]> {
  const { createHash } = await import('node:crypto');
  const { lstat, readdir, readFile, readlink } = await import('node:fs/promises');
  const lines: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const abs = path.join(dir, rel);
    const stats = await lstat(abs);
    if (stats.isDirectory()) {
      lines.push(`${rel}/`);
      for (const name of (await readdir(abs)).sort()) {
        if (rel === 'images' && name === 'lock') continue;
        await visit(rel === '' ? name : `${rel}/${name}`);
      }
    } else if (stats.isSymbolicLink()) {
      lines.push(`${rel} -> ${await readlink(abs)}`);
    } else if (stats.isFile()) {
      lines.push(`${rel} ${stats.size} ${createHash('sha256').update(await readFile(abs)).digest('hex').slice(0, 16)}`);
    } else {
      lines.push(`${rel} (special)`);
    }
  };
  await visit('');
  return lines;
}
