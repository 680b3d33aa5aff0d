/**
 * @module harness/names — the harness's name prefixes and fixed directories.
 *
 * Every resource the harness creates carries its owning runner's PID in its name, so a later
 * run can tell leftovers of a crashed runner (PID dead) from resources of a live one:
 *
 * - test systemd instances: `testsd-rl-<runnerpid>-<n>`; the same name is used for the instance
 *   dir `/tmp/rocklet-test/sd/<name>` and for its cgroup in every hierarchy;
 * - network namespaces: `rltest-<runnerpid>-<n>`;
 * - temp dirs (registry data, GNUPGHOME, rootfs ...): `/tmp/rocklet-test/tmp/rltest-<runnerpid>-<label>-XXXXXX`.
 *
 * The root is under /tmp rather than /run on purpose: each instance mounts a private tmpfs on
 * /run, while /tmp is shared, so the instance dir has the same path inside and outside.
 */
import { join } from 'node:path';

/** Everything the harness keeps on disk lives below this directory. */
export const HARNESS_ROOT = '/tmp/rocklet-test';
/** Instance dirs of test systemds: `<INSTANCE_ROOT>/<name>`. */
export const INSTANCE_ROOT = join(HARNESS_ROOT, 'sd');
/** Temp dirs made by {@link makeTempDir}. */
export const TEMP_ROOT = join(HARNESS_ROOT, 'tmp');

/** Prefix of test systemd names (instance dirs and cgroups). */
export const INSTANCE_PREFIX = 'testsd-rl-';
/** Prefix of network namespaces and temp dirs. */
export const RESOURCE_PREFIX = 'rltest-';

const INSTANCE_NAME = /^testsd-rl-(\d+)-(\d+)$/;
const NETNS_NAME = /^rltest-(\d+)-(\d+)$/;
const TEMP_NAME = /^rltest-(\d+)-[A-Za-z0-9_.-]+$/;

let serial = 0;

/** A number unique within this process, for resource names. */
export function nextSerial(): number {
  serial += 1;
  return serial;
}

/** A fresh test systemd name owned by this process. */
export function newInstanceName(): string {
  return `${INSTANCE_PREFIX}${process.pid}-${nextSerial()}`;
}

/** A fresh network namespace name owned by this process. */
export function newNetnsName(): string {
  return `${RESOURCE_PREFIX}${process.pid}-${nextSerial()}`;
}

/** The mkdtemp prefix of a temp dir owned by this process. */
export function tempDirPrefix(label: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(label)) throw new Error(`temp dir label ${JSON.stringify(label)}: use [A-Za-z0-9_.-]`);
  return join(TEMP_ROOT, `${RESOURCE_PREFIX}${process.pid}-${label}-`);
}

export type ResourceKind = 'instance' | 'netns' | 'temp';

/** The runner PID encoded in a harness resource name, or undefined when the name is not ours. */
export function ownerPid(kind: ResourceKind, name: string): number | undefined {
  const pattern = kind === 'instance' ? INSTANCE_NAME : kind === 'netns' ? NETNS_NAME : TEMP_NAME;
  const match = pattern.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
