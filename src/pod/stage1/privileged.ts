/**
 * @module pod/stage1/privileged — what a privileged app gets from the host: every capability
 * in the runtime's own bounding set (a set crun cannot grant beyond, so `CAP_SYS_RESOURCE` on a
 * host without it is left out rather than failing the start) and a device node for every
 * character and block device of the host's /dev (Docker's and podman's `--privileged`; /dev/pts,
 * /dev/shm and /dev/mqueue stay the app's own).
 */
import type { Dirent } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LINUX_CAPABILITIES } from '../../image/index.js';
import type { CapabilityName } from '../../podfile/index.js';
import { errnoCode } from '../../util/index.js';
import type { OciDevice } from './oci-spec.js';

/** The capabilities of `status` (the text of /proc/PID/status) line `CapBnd:`, by bit number. */
export function boundingCapabilities(status: string): CapabilityName[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) return [];
  const bits = BigInt(`0x${hex}`);
  return LINUX_CAPABILITIES.filter((_, bit) => (bits >> BigInt(bit)) & 1n).map((name) => name as CapabilityName);
}

/** `wanted` ∩ this process's bounding set. */
export async function withinHostBoundingSet(wanted: readonly CapabilityName[]): Promise<CapabilityName[]> {
  const held = new Set(boundingCapabilities(await readFile('/proc/self/status', 'utf8')));
  return wanted.filter((cap) => held.has(cap));
}

// Directories of /dev whose nodes are the container's own (or not devices at all).
const SKIPPED = new Set(['pts', 'shm', 'mqueue', 'fd', 'core', 'stdin', 'stdout', 'stderr', 'console', 'ptmx', 'tty']);

function major(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}

function minor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'EACCES') return [];
    throw error;
  }
}

/** Every character and block device under `devDir` (one level of subdirectories), as OCI devices at the same path. */
export async function hostDevices(devDir = '/dev'): Promise<OciDevice[]> {
  const devices: OciDevice[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    for (const entry of await entries(dir)) {
      if (depth === 0 && SKIPPED.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth === 0) await visit(full, 1);
      if (!entry.isCharacterDevice() && !entry.isBlockDevice()) continue;
      const stats = await stat(full);
      devices.push({
        path: path.posix.join('/dev', path.relative(devDir, full)),
        type: entry.isCharacterDevice() ? 'c' : 'b',
        major: major(stats.rdev),
        minor: minor(stats.rdev),
        fileMode: stats.mode & 0o7777,
        uid: stats.uid,
        gid: stats.gid,
      });
    }
  };
  await visit(devDir, 0);
  return devices.sort((a, b) => a.path.localeCompare(b.path));
}
