/**
 * @module pod/stage1/oci-spec — the typed subset of the OCI runtime spec 1.0.2 (`config.json`)
 * that rocklet writes. Field names and shapes are the spec's; anything rocklet never sets is
 * left out rather than typed loosely.
 */

/** The runtime-spec version written into every config. */
export const OCI_VERSION = '1.0.2';

export interface OciUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids?: readonly number[];
}

/** Capability names as OCI writes them (`CAP_CHOWN`). */
export interface OciCapabilities {
  readonly bounding: readonly string[];
  readonly effective: readonly string[];
  readonly inheritable: readonly string[];
  readonly permitted: readonly string[];
  readonly ambient: readonly string[];
}

export interface OciProcess {
  readonly terminal: boolean;
  readonly user: OciUser;
  readonly args: readonly string[];
  /** `KEY=value` entries. */
  readonly env: readonly string[];
  /** Absolute path inside the container. */
  readonly cwd: string;
  readonly capabilities: OciCapabilities;
  readonly noNewPrivileges: boolean;
  readonly oomScoreAdj?: number;
}

export interface OciRoot {
  /** The rootfs, absolute or relative to the bundle. */
  readonly path: string;
  readonly readonly: boolean;
}

export interface OciMount {
  /** Absolute path inside the container. */
  readonly destination: string;
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

export const OCI_NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup'] as const;
export type OciNamespaceType = (typeof OCI_NAMESPACE_TYPES)[number];

/** A namespace to create (no path) or to join (path of an nsfs file or /proc/<pid>/ns/<x>). */
export interface OciNamespace {
  readonly type: OciNamespaceType;
  readonly path?: string;
}

export interface OciDeviceRule {
  readonly allow: boolean;
  readonly access: string;
}

export interface OciResources {
  readonly devices?: readonly OciDeviceRule[];
  readonly memory?: { readonly limit: number };
  readonly cpu?: { readonly shares?: number; readonly quota?: number; readonly period?: number };
  readonly pids?: { readonly limit: number };
}

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

export interface OciSyscallRule {
  readonly names: readonly string[];
  readonly action: SeccompAction;
  /** With SCMP_ACT_ERRNO: the errno returned (default EPERM). */
  readonly errnoRet?: number;
  /** Argument filters (Localhost profiles only; passed to the runtime as written). */
  readonly args?: readonly OciSyscallArg[];
}

export interface OciSyscallArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo?: number;
  readonly op: string;
}

export interface OciSeccomp {
  readonly defaultAction: SeccompAction;
  /** errno of a SCMP_ACT_ERRNO default (runtime-spec 1.1; crun reads it; absent = EPERM). */
  readonly defaultErrnoRet?: number;
  readonly architectures: readonly string[];
  readonly syscalls: readonly OciSyscallRule[];
}

/** A host device node the app gets (privileged apps: every character and block device of the host). */
export interface OciDevice {
  readonly path: string;
  readonly type: 'c' | 'b';
  readonly major: number;
  readonly minor: number;
  readonly fileMode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface OciLinux {
  readonly namespaces: readonly OciNamespace[];
  readonly resources?: OciResources;
  readonly maskedPaths: readonly string[];
  readonly readonlyPaths: readonly string[];
  readonly seccomp?: OciSeccomp;
  /** Kernel parameters the runtime writes under the container's /proc/sys (`net.ipv4.x` keys). */
  readonly sysctl?: Readonly<Record<string, string>>;
  readonly devices?: readonly OciDevice[];
}

/** The whole `config.json`. */
export interface OciSpec {
  readonly ociVersion: string;
  readonly process: OciProcess;
  readonly root: OciRoot;
  readonly hostname?: string;
  readonly mounts: readonly OciMount[];
  readonly linux: OciLinux;
  readonly annotations?: Readonly<Record<string, string>>;
}
