/**
 * @module util/linux-sys — the Linux system calls Node has no API for (mount(2), umount2(2),
 * namespaces bound to files, open-file-description locks), through rocklet's own N-API addon `native/linux-sys.c`
 * (built by `npm ci` into `build/Release/linux_sys.node`).
 *
 * They replace util-linux processes (`mount`, `umount`, `unshare … ip link set lo up`,
 * `unshare … hostname`): each of those cost 10–30 ms on the project's VMs, and a `rocklet run`
 * needed eight. Failures are thrown as Node-style errno errors (`code`, `errno`, `syscall`,
 * `path`), so callers test them with {@link errnoCode} as they do fs errors.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { failedPrecondition } from './errors.js';

/** mount(2) flags rocklet uses (values of <sys/mount.h>). */
export const MOUNT_FLAGS = Object.freeze({
  rdonly: 0x1,
  nosuid: 0x2,
  nodev: 0x4,
  noexec: 0x8,
  bind: 0x1000,
  rec: 0x4000,
});

/** Namespaces to create, each bound to its file (which must exist, empty). */
export interface NamespaceFiles {
  readonly net?: string | undefined;
  readonly ipc?: string | undefined;
  readonly uts?: string | undefined;
  /** Set in the new UTS namespace (needs `uts`). */
  readonly hostname?: string | undefined;
  /** Bring `lo` up in the new network namespace (needs `net`). */
  readonly loopbackUp?: boolean | undefined;
}

/** A pod's veth pair, as {@link setUpVethPair} makes it (interface names ≤ 15 bytes). */
export interface VethPairSpec {
  /** The host namespace's file; absent: this process's namespace. */
  readonly hostNetns?: string | undefined;
  /** The pod's namespace file: the peer is created in it and configured there. */
  readonly podNetns: string;
  readonly hostName: string;
  readonly podName: string;
  readonly bridge: string;
  /** IPv4 dotted quads. */
  readonly ip: string;
  readonly gateway: string;
  readonly prefixLength: number;
}

/** A network link's index and whether it is up. */
export interface LinkState {
  readonly index: number;
  readonly up: boolean;
}

interface LinuxSysAddon {
  mount(source: string, target: string, fstype: string | undefined, flags: number, data?: string): void;
  umount2(target: string, flags: number): void;
  isMountRoot(path: string): boolean | undefined;
  bindNamespaces(options: NamespaceFiles): void;
  ofdTryLock(fd: number, offset: number, length: number, shared: boolean): boolean;
  ofdUnlock(fd: number, offset: number, length: number): void;
  sdNotify(socket: string, message: string): void;
  setUpVeth(options: VethPairSpec): void;
  deleteLink(options: { readonly netns?: string | undefined; readonly name: string }): boolean;
  spawnHolder(lockFd: number, path: string, argv: readonly string[]): number;
  linkState(options: { readonly netns?: string | undefined; readonly name: string }): LinkState | undefined;
  netnsSocket(nsFile: string): number;
  spawnCaptured(path: string, argv: readonly string[], cgroupProcs: readonly string[]): [number, number];
  reapChild(pid: number): [number | null, number | null] | undefined;
  probeEngineStart(onResults: (results: readonly (readonly [number, number, number, string | null])[]) => void): void;
  probeEngineAdd(spec: object): number;
  probeEngineRemove(handle: number): void;
  probeEngineStats(): [number, number, number, number];
}

const ADDON_FILE = path.join('build', 'Release', 'linux_sys.node');
// dist/src/util (tsc output) and dist/rocklet (the bundle) sit at different depths.
const MAX_LEVELS_UP = 5;
const MNT_DETACH = 2;

let addon: LinuxSysAddon | undefined;

/** The addon, loaded once (util-internal: other modules wrap what they use of it). */
export function loadAddon(): LinuxSysAddon {
  if (addon !== undefined) return addon;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    const candidate = path.join(dir, ADDON_FILE);
    if (existsSync(candidate)) {
      addon = createRequire(import.meta.url)(candidate) as LinuxSysAddon;
      return addon;
    }
    dir = path.dirname(dir);
  }
  throw failedPrecondition('ERR_NATIVE_HELPER_MISSING', `rocklet's native helper ${ADDON_FILE} is missing`, {
    hint: 'run `npm ci` in rocklet\'s directory (it builds the helper with node-gyp: needs g++, make and python3) or re-run ./install.sh',
  });
}

/** mount(2). `data` is the filesystem's option string (e.g. overlay's lowerdir=…). */
export function mountFs(source: string, target: string, fstype: string | undefined, flags: number, data?: string): void {
  loadAddon().mount(source, target, fstype, flags, data);
}

/** umount2(2); `detach` is MNT_DETACH (lazy: the kernel frees the mount when its last user goes). */
export function unmountFs(target: string, options: { readonly detach?: boolean } = {}): void {
  loadAddon().umount2(target, options.detach === true ? MNT_DETACH : 0);
}

/**
 * Whether `p` (a symlink is not followed) is the root of a mount: statx(2)'s
 * STATX_ATTR_MOUNT_ROOT. False when `p` does not exist; undefined when the kernel does not
 * report the attribute (Linux < 5.8), and the caller must read the mount table instead.
 */
export function isMountRoot(p: string): boolean | undefined {
  return loadAddon().isMountRoot(p) ?? undefined;
}

/**
 * Creates the requested namespaces in one short-lived child process and bind-mounts each onto
 * its file (in this process's mount namespace). This process's own namespaces never change.
 */
export function bindNamespaces(files: NamespaceFiles): void {
  loadAddon().bindNamespaces(files);
}

/** A byte range of a file (`length` 0: to the end of the file, however long it grows). */
export interface LockRange {
  readonly offset: number;
  readonly length: number;
}

const WHOLE_FILE: LockRange = { offset: 0, length: 0 };

/**
 * fcntl(F_OFD_SETLK): an open-file-description lock on `range` of `fd`, without waiting. True
 * when granted, false when another holder conflicts. Such locks belong to the open file, not
 * the process, and the kernel drops them when the last descriptor of it closes.
 */
export function ofdTryLock(fd: number, mode: 'shared' | 'exclusive', range: LockRange = WHOLE_FILE): boolean {
  return loadAddon().ofdTryLock(fd, range.offset, range.length, mode === 'shared');
}

/** Drops this open file's locks on `range` (default: all of them). */
export function ofdUnlock(fd: number, range: LockRange = WHOLE_FILE): void {
  loadAddon().ofdUnlock(fd, range.offset, range.length);
}

/**
 * sd_notify(3): sends `message` (e.g. `READY=1`) to the service manager's socket `socket`
 * (`$NOTIFY_SOCKET`; a leading `@` is the abstract namespace). Synchronous, one datagram.
 */
export function sdNotify(socket: string, message: string): void {
  loadAddon().sdNotify(socket, message);
}

/**
 * A pod's veth pair through rtnetlink (what `ip link add … type veth peer …`, `ip link set …
 * master … up`, `bridge link set … hairpin on` and, inside the pod, `ip addr replace`, `ip link
 * set … up` and `ip route replace default via …` did, without a process): the host end on
 * `bridge` with hairpin on and up; the peer in the pod's namespace with its address, up, `lo` up
 * and a default route via `gateway`. A host end of that name left from before is replaced.
 * Runs in a short-lived child (clone with CLONE_VM|CLONE_VFORK) that enters the namespaces; this
 * process's own never change. Errors carry the netlink request as `syscall` and the link as `path`.
 */
export function setUpVethPair(spec: VethPairSpec): void {
  loadAddon().setUpVeth(spec);
}

/** Deletes network link `name` (in the namespace bound to `netns`, else this one); whether it existed. */
export function deleteLink(name: string, netns?: string): boolean {
  return loadAddon().deleteLink({ name, netns });
}

/** Index and up flag of link `name` (in the namespace bound to `netns`, else this one); undefined when there is none. */
export function linkState(name: string, netns?: string): LinkState | undefined {
  return loadAddon().linkState({ name, netns });
}

/**
 * Starts `program` (absolute path) with `argv` (argv[0] included, at most 16 entries), the open
 * file `lockFd` as its fd 3 and /dev/null as fds 0-2, in a new session, already orphaned (init or
 * the nearest subreaper reaps it); returns its PID. Costs ~1 ms where Node's spawn, which forks
 * this whole process, costs 10–30 ms. This process keeps its own descriptor.
 */
export function spawnHolder(lockFd: number, program: string, argv: readonly string[]): number {
  return loadAddon().spawnHolder(lockFd, program, argv);
}

/**
 * A non-blocking, close-on-exec TCP (IPv4) socket created inside the network namespace bound to
 * `nsFile` (a pod's netns file); returns its descriptor, for `new net.Socket({ fd })`. A socket
 * stays in the namespace it was made in, so connecting it reaches the pod's own addresses
 * without a host port or a process in the pod. The calling thread enters the namespace, makes
 * the socket and returns to its own within the call (a network namespace is per thread; no
 * other thread and no JavaScript sees the switch); the process aborts should the return fail.
 */
export function netnsSocket(nsFile: string): number {
  return loadAddon().netnsSocket(nsFile);
}

/** A child started by {@link spawnCaptured}. */
export interface CapturedChild {
  readonly pid: number;
  /** Read end (non-blocking) of the pipe that is the child's stdout and stderr. */
  readonly fd: number;
}

/**
 * Starts `program` (absolute path) with `argv` (argv[0] included), stdin /dev/null and
 * stdout+stderr into a new pipe, without forking this process (clone with CLONE_VM|CLONE_VFORK,
 * as posix_spawn does: ~0.1 ms where Node's spawn costs ~6 ms of this process's CPU). The child
 * writes itself into each `cgroupProcs` file (absolute `…/cgroup.procs` paths) before it execs;
 * a failure there is thrown as `join cgroup` with the file. The caller must reap it with
 * {@link reapChild}.
 */
export function spawnCaptured(program: string, argv: readonly string[], cgroupProcs: readonly string[] = []): CapturedChild {
  const [pid, fd] = loadAddon().spawnCaptured(program, argv, cgroupProcs);
  return { pid, fd };
}

/** waitpid(WNOHANG) for a child of {@link spawnCaptured}: undefined while it runs. */
export function reapChild(pid: number): { readonly exitCode: number | null; readonly signal: number | null } | undefined {
  const status = loadAddon().reapChild(pid);
  return status === undefined ? undefined : { exitCode: status[0], signal: status[1] };
}
