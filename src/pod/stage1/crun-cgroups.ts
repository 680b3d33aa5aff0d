/**
 * @module pod/stage1/crun-cgroups — letting crun set a container up on a hybrid-cgroup host.
 *
 * crun (≤ 1.8 and later alike) refuses every container, whatever its `--cgroup-manager`, when
 * `/sys/fs/cgroup` is a tmpfs of v1 hierarchies and the cgroup2 mount at
 * `/sys/fs/cgroup/unified` lists any controller in its `cgroup.controllers`: "cgroups in hybrid
 * mode not supported, drop all controllers from cgroupv2". On this project's VMs the v2 root lists
 * `hugetlb`, the one controller no v1 hierarchy binds; every other controller is a v1 one, which
 * is where crun's cgroupfs manager writes limits in hybrid mode. A systemd in hybrid mode hides
 * the v2 controllers from its services (their cgroup namespace root enables none), which is why
 * crun works in units and not in a shell beside them.
 *
 * rocklet never sets a hugetlb limit, so crun is run in a mount namespace of its own in which
 * `/dev/null` is bound over that one file: crun then sees hybrid mode with no v2 controllers,
 * manages the v1 cgroups as usual (limits applied, its cgroup removed at delete) and the host's
 * mounts are untouched (the namespace dies with crun).
 */
import { readFile } from 'node:fs/promises';
import { CGROUP2_SUPER_MAGIC, TMPFS_MAGIC, fsType } from './cgroup-controllers.js';
import type { MountNamespace } from './mount-namespace.js';
import { nsPath } from './mount-namespace.js';

/** The file crun's hybrid check reads. */
export const UNIFIED_CONTROLLERS_FILE = '/sys/fs/cgroup/unified/cgroup.controllers';

/** What crun will find under /sys/fs/cgroup in a namespace. */
export type CrunCgroupView =
  | { readonly kind: 'unified' | 'legacy' | 'hybrid-clean' | 'none' }
  | { readonly kind: 'hybrid-v2-controllers'; readonly controllers: readonly string[] };

/** Classifies the cgroup mounts of `ns` the way crun's `libcrun_get_cgroup_mode` does. */
export async function crunCgroupView(ns: MountNamespace): Promise<CrunCgroupView> {
  const root = await fsType(nsPath(ns, '/sys/fs/cgroup'));
  if (root === undefined) return { kind: 'none' };
  if (root === CGROUP2_SUPER_MAGIC) return { kind: 'unified' };
  if (root !== TMPFS_MAGIC) return { kind: 'none' };
  if ((await fsType(nsPath(ns, '/sys/fs/cgroup/unified'))) !== CGROUP2_SUPER_MAGIC) return { kind: 'legacy' };
  const text = await readFile(nsPath(ns, UNIFIED_CONTROLLERS_FILE), 'utf8');
  const controllers = text.split(/\s+/).filter((c) => c !== '');
  return controllers.length === 0 ? { kind: 'hybrid-clean' } : { kind: 'hybrid-v2-controllers', controllers };
}

/**
 * The argv prefix that runs crun in its own mount namespace with the v2 controller list hidden
 * (see the module comment). The process stays crun itself (unshare and sh exec), so signals,
 * exit codes and inherited descriptors are crun's.
 */
export const HIDE_V2_CONTROLLERS_PREFIX: readonly string[] = Object.freeze([
  'unshare', '--mount', '--propagation', 'private', '--',
  '/bin/sh', '-c', `mount --bind /dev/null ${UNIFIED_CONTROLLERS_FILE} && exec "$0" "$@"`,
]);

/** The prefix crun needs in `ns` ([] unless the host is hybrid with v2 controllers). */
export async function crunCgroupPrefix(ns: MountNamespace): Promise<readonly string[]> {
  const view = await crunCgroupView(ns);
  return view.kind === 'hybrid-v2-controllers' ? HIDE_V2_CONTROLLERS_PREFIX : [];
}
