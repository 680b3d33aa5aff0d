/**
 * @module harness/rootfs — the universal test payload: a busybox-static root filesystem.
 *
 * Debian's busybox-static `/bin/busybox` (statically linked, so no libraries are needed), its
 * applet links made by `busybox --install -s` inside the new root, a root/nobody passwd and
 * group, and `usr/lib/os-release`. About 2 MB, built in a few ms.
 */
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execChecked } from './exec.js';

/** Where Debian's busybox-static installs its binary. */
export const BUSYBOX_STATIC = '/bin/busybox';

const DIRS = ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/lib', 'etc', 'dev', 'proc', 'sys', 'run', 'var', 'root', 'home'];

const FILES: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  'etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost\n',
  'usr/lib/os-release': 'NAME="rocklet test busybox"\nID=busybox\nPRETTY_NAME="rocklet test busybox"\n',
};

/**
 * Builds the rootfs into `dir` (created if missing; should be empty). Needs root (chroot) and
 * the busybox-static package.
 */
export async function buildBusyboxRootfs(dir: string): Promise<void> {
  for (const sub of DIRS) await mkdir(join(dir, sub), { recursive: true });
  await mkdir(join(dir, 'tmp'), { mode: 0o1777 });
  await chmod(join(dir, 'tmp'), 0o1777);
  await copyFile(BUSYBOX_STATIC, join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  for (const [path, text] of Object.entries(FILES)) await writeFile(join(dir, path), text);
  await symlink('../usr/lib/os-release', join(dir, 'etc/os-release'));
  await execChecked(['chroot', dir, '/bin/busybox', '--install', '-s']);
}
