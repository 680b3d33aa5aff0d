/**
 * @module host/instance-record — `<instance dir>/instance.json`, what rocklet knows about
 * a private systemd: who owns it, its cgroups and the identities of its processes. Written before
 * anything is created and updated as PIDs become known, so a sweep after a crash at any step
 * finds exactly what to remove.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupDir } from './cgroup-tree.js';
import type { ProcessIdentity } from './proc.js';
import { errnoCode } from './proc.js';
import type { CgroupMode } from './instance-files.js';

/** The content of instance.json. */
export interface InstanceRecord {
  readonly name: string;
  readonly dir: string;
  readonly mode: CgroupMode;
  readonly privateNetwork: boolean;
  /**
   * Units and bus socket live only in the instance's own /run (host mode): deleting the instance
   * dir cannot take them away. The bus is then reached at /proc/<pid>/root/run/dbus/….
   */
  readonly selfContained?: boolean;
  /** The test runner process that booted the instance. */
  readonly runner: ProcessIdentity;
  cgroups: CgroupDir[];
  /** setpriv → sh → unshare: one process, the Node process's direct child. */
  launcher?: ProcessIdentity;
  /** systemd, PID 1 of the instance (host PID). */
  systemd?: ProcessIdentity;
}

/** instance.json of the instance dir `dir`. */
export function recordPath(dir: string): string {
  return join(dir, 'instance.json');
}

/** Atomically (re)writes the record. */
export async function writeRecord(record: InstanceRecord): Promise<void> {
  const path = recordPath(record.dir);
  await writeFile(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** The record in `dir`, or undefined when there is none (crash before it was written). */
export async function readRecord(dir: string): Promise<InstanceRecord | undefined> {
  let text: string;
  try {
    text = await readFile(recordPath(dir), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as InstanceRecord;
}
