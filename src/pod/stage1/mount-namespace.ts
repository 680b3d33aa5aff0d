/**
 * @module pod/stage1/mount-namespace — where stage1 does its work: the mount namespace whose
 * mounts (overlay rootfs, tmpfs volumes) it creates and whose files it reads and writes.
 *
 * In production that is the caller's own namespace (`rocklet app prepare` runs inside the app's
 * unit, whose `PrivateMounts=` namespace crun then shares). Tests run crun inside a private
 * test systemd, whose mounts the host cannot see; {@link mountNamespaceOf} reaches such a
 * namespace from outside: commands through `nsenter`, files through `/proc/<pid>/root`.
 */

/** How this process runs commands in, and reaches files of, one mount namespace. */
export interface MountNamespace {
  /** argv prefix that runs a command inside it (`[]`: here). */
  readonly enter: readonly string[];
  /** Prefix that turns a path of that namespace into one this process can open (`''`: here). */
  readonly root: string;
  /** Its mount table (`/proc/<pid>/mountinfo`). */
  readonly mountinfo: string;
}

/** The caller's own mount namespace (production). */
export const CURRENT_MOUNT_NAMESPACE: MountNamespace = Object.freeze({
  enter: Object.freeze([]),
  root: '',
  mountinfo: '/proc/self/mountinfo',
});

/**
 * The mount (and PID) namespace of process `pid`, e.g. a test systemd's PID 1. Commands run via
 * `nsenter -t <pid> -m -p`; files are reached through `/proc/<pid>/root`, which the kernel
 * resolves in that namespace's mount tree. The process must outlive every use of the value.
 */
export function mountNamespaceOf(pid: number): MountNamespace {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`mountNamespaceOf: bad pid ${pid}`);
  return Object.freeze({
    enter: Object.freeze(['nsenter', '-t', String(pid), '-m', '-p', '--']),
    root: `/proc/${pid}/root`,
    mountinfo: `/proc/${pid}/mountinfo`,
  });
}

/** True when `ns` is this process's own mount namespace, where system calls reach directly. */
export function isOwnNamespace(ns: MountNamespace): boolean {
  return ns.enter.length === 0;
}

/** The path by which this process reaches absolute path `p` of namespace `ns`. */
export function nsPath(ns: MountNamespace, p: string): string {
  return ns.root === '' ? p : `${ns.root}${p}`;
}
