/**
 * @module pod/stage1/app — `Stage1App`, the fully resolved description of one app that the
 * executors run: every id numeric, every mount destination already created and resolved
 * inside the rootfs, every namespace to join given by path. {@link buildOciConfig} turns it
 * into an OCI config without touching the disk.
 */
import type { CapabilityName, SeccompPolicy } from '../../podfile/index.js';
import type { OciDevice, OciSeccomp } from './oci-spec.js';

/** Create a namespace, join one by path (the pod's), or stay in the runtime's (host). */
export type NamespaceChoice =
  | { readonly kind: 'new' }
  | { readonly kind: 'join'; readonly path: string }
  | { readonly kind: 'host' };

/**
 * The namespaces of an app besides its own mount namespace (always new). Apps of one pod join
 * the pod's network, IPC and UTS namespaces by path, so they share localhost and a hostname.
 */
export interface Stage1Namespaces {
  readonly network: NamespaceChoice;
  readonly ipc: NamespaceChoice;
  readonly uts: NamespaceChoice;
  /** Default new: each app is PID 1 of its own PID namespace. */
  readonly pid?: NamespaceChoice;
  /** Default new: the app sees its own cgroup as the root. */
  readonly cgroup?: NamespaceChoice;
}

/** The numeric identity the app process runs as. */
export interface Stage1Identity {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups. */
  readonly additionalGids: readonly number[];
}

/** A mount into the app's own mount namespace, made by the runtime when the app starts. */
export type Stage1Mount =
  /** A host file or directory (a volume, the pod's /etc/hosts). `recursive` = rbind. */
  | {
      readonly kind: 'bind';
      readonly source: string;
      readonly destination: string;
      readonly readOnly: boolean;
      readonly recursive: boolean;
    }
  /** A private tmpfs (size in bytes, mode as octal permission bits). */
  | {
      readonly kind: 'tmpfs';
      readonly destination: string;
      readonly sizeBytes?: number;
      readonly mode?: number;
      readonly readOnly?: boolean;
    };

/**
 * cgroup limits written into the OCI config. They only take effect when crun manages cgroups
 * (standalone `rocklet run` with a cgroup manager); under systemd the unit carries the limits
 * and crun runs with `--cgroup-manager=disabled`, so leave this out there.
 */
export interface Stage1Resources {
  readonly memoryBytes?: number;
  readonly cpu?: { readonly quotaUs: number; readonly periodUs: number };
  readonly cpuShares?: number;
  readonly pids?: number;
}

export interface Stage1EnvVar {
  readonly name: string;
  readonly value: string;
}

/** One app, resolved: what {@link buildOciConfig} needs and nothing that needs the disk. */
export interface Stage1App {
  /** The app's name in the pod (goes into the annotations). */
  readonly name: string;
  /** Absolute host path of the app's root filesystem (the overlay mount point). */
  readonly rootfs: string;
  readonly readOnlyRootfs: boolean;
  /** argv; `args[0]` is an absolute path or a name looked up in the app's PATH. */
  readonly args: readonly string[];
  /** Final environment, in order; a later duplicate name wins. PATH gets a default when absent. */
  readonly env: readonly Stage1EnvVar[];
  /** Absolute path inside the app. */
  readonly cwd: string;
  readonly user: Stage1Identity;
  /** Bounding = effective = permitted set; sorted or not. */
  readonly capabilities: readonly CapabilityName[];
  readonly noNewPrivileges: boolean;
  readonly seccomp: SeccompPolicy;
  /** With seccomp `Localhost`: the profile as read from the file. */
  readonly seccompProfile?: OciSeccomp;
  /**
   * No masked or read-only kernel paths, /sys and cgroups writable, `devices` created in /dev,
   * every device allowed (the capabilities are the caller's: the host's whole bounding set).
   */
  readonly privileged?: boolean;
  /** Host device nodes to create in the app's /dev (privileged apps). */
  readonly devices?: readonly OciDevice[];
  /** Volumes and pod files; destinations absolute and already resolved inside the rootfs. */
  readonly mounts: readonly Stage1Mount[];
  readonly namespaces: Stage1Namespaces;
  /** Set in the app's UTS namespace (a new or the pod's joined one; not allowed with host). */
  readonly hostname?: string;
  /** −1000…1000; negative values need CAP_SYS_RESOURCE in the runtime. */
  readonly oomScoreAdj?: number;
  readonly resources?: Stage1Resources;
  /** Give the app a controlling terminal (interactive runs); default false. */
  readonly terminal?: boolean;
  /** `--insecure-options=paths`: skip the masked and read-only kernel paths. */
  readonly unmaskKernelPaths?: boolean;
  /**
   * Namespaced sysctls (name → value), written by the runtime into the app's network or IPC
   * namespace when it starts; each needs that namespace to be new or the pod's, never the host's.
   */
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}
