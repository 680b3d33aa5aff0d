/**
 * @module pod/runtime/plan — `PodPlan`, a pod fully resolved against the image store: the
 * contract between planning (images or pod files → plan, at `prepare`) and execution (`pod up`,
 * `app prepare`, standalone `run`). Stored as `<pod>/plan.json` beside the appc `pod` manifest
 * (which `cat-manifest` prints); execution reads only the plan, so a prepared pod runs the same
 * way whatever the image store or the command-line defaults do later.
 *
 * Everything is JSON data: numbers in base units, env already merged in rkt's precedence,
 * capabilities already the effective set, trees named by ID (resolved to paths at execution, so
 * `image gc` can see which trees pods use).
 */
import type { CapabilityName, ContainerProbes, IdentityRef, LifecycleHooks, Protocol, SeccompPolicy } from '../../podfile/index.js';
import type { OciSeccomp } from '../stage1/oci-spec.js';
import type { DnsRequest, EnvPair, HostsRequest, NetRequest } from './request.js';

/** Bump when the shape changes incompatibly; execution refuses plans it does not know. */
export const POD_PLAN_VERSION = 1;
/** The plan's file name inside the pod directory. */
export const POD_PLAN_FILE = 'plan.json';

export interface PlannedImage {
  /** `sha512-…` (full). */
  readonly id: string;
  readonly name: string;
  readonly version?: string;
  /** Tree IDs to stack as overlay lower layers, topmost first (the image's rendered tree). */
  readonly trees: readonly string[];
}

export interface PlannedPort {
  readonly name: string;
  readonly containerPort: number;
  readonly protocol: Protocol;
  /** Forwarded from the host when set. */
  readonly hostPort?: number;
  readonly hostIp?: string;
}

export interface PlannedMount {
  readonly volume: string;
  /** Absolute path inside the app. */
  readonly mountPath: string;
  readonly readOnly: boolean;
  /** Pod files' subPath (subPathExpr already expanded): this relative path inside the volume is mounted instead of its root. */
  readonly subPath?: string;
}

export interface PlannedResources {
  readonly memoryBytes?: number;
  readonly cpuMillicores?: number;
  readonly cpuShares?: number;
  readonly pids?: number;
}

/** What happens when the app exits (Kubernetes restartPolicy; standalone run: Never). */
export type PlannedRestart = 'Always' | 'OnFailure' | 'Never';

export interface PlannedApp {
  /** AC Name / DNS label, unique in the pod. */
  readonly name: string;
  /** Init apps run one after another to success before the others (pod files only). */
  readonly init: boolean;
  readonly image: PlannedImage;
  /** Final argv (image exec/args with the request's overrides applied; `$(VAR)` expanded). */
  readonly args: readonly string[];
  /** Final environment in rkt's precedence; later duplicates already removed. */
  readonly env: readonly EnvPair[];
  /**
   * Pod files only: variables of `env` whose downward-API value needs the pod's address
   * (`status.podIP`, `status.hostIP`) and was not known at planning (planned as ''). Execution
   * sets them when the pod has its address. (`$(VAR)` references to them expanded to ''.)
   */
  readonly fieldEnv?: readonly { readonly name: string; readonly fieldPath: 'status.podIP' | 'status.hostIP' }[];
  /**
   * Pod files only: variables of `env` whose value comes from a Secret. The plan holds '' for
   * them; `app prepare` takes the value from the pod's secrets file (pod-secrets.ts).
   */
  readonly secretEnv?: readonly string[];
  /**
   * Pod files only: command/args expand a Secret-backed `$(NAME)`. `args` keeps such references
   * as written; `app prepare` runs the expanded argv from the pod's secrets file.
   */
  readonly secretArgv?: true;
  readonly workingDir: string;
  /** Resolved against the image's /etc/passwd and /etc/group at `app prepare`. */
  readonly user?: IdentityRef;
  readonly group?: IdentityRef;
  readonly supplementalGroups: readonly number[];
  readonly runAsNonRoot: boolean;
  readonly readOnlyRootfs: boolean;
  readonly noNewPrivileges: boolean;
  /** Effective bounding set. */
  readonly capabilities: readonly CapabilityName[];
  readonly seccomp: SeccompPolicy;
  /** seccomp `Localhost`: the profile read from `<config-dir>/seccomp/` when the pod was prepared. */
  readonly seccompProfile?: OciSeccomp;
  /** The annotation's value, or what the pod's priority class gives (oom-score.ts). */
  readonly oomScoreAdj?: number;
  /** Every host capability, no seccomp, host devices, writable /sys (pod files' `privileged: true`). */
  readonly privileged?: true;
  /** The app's stdio is a pseudo-terminal (pod files' `tty: true`). */
  readonly tty?: true;
  /** An init app that keeps running beside the apps (an init container with restartPolicy Always). */
  readonly sidecar?: true;
  readonly resources: PlannedResources;
  readonly mounts: readonly PlannedMount[];
  readonly ports: readonly PlannedPort[];
  readonly restart: PlannedRestart;
  /** Seconds between SIGTERM and SIGKILL when the app is stopped. */
  readonly stopTimeoutSeconds: number;
  /** Pod files: Kubernetes probes, run by the daemon or the standalone supervisor. */
  readonly probes?: ContainerProbes;
  /** Pod files: postStart/preStop hooks (`rocklet app hook`). */
  readonly lifecycle?: LifecycleHooks;
}

export type PlannedVolume =
  | {
      readonly name: string;
      readonly kind: 'host';
      readonly source: string;
      readonly readOnly: boolean;
      readonly recursive: boolean;
      /** Pod files' hostPath `DirectoryOrCreate` / `FileOrCreate`: create the source when missing. */
      readonly create?: 'Directory' | 'File';
    }
  | {
      readonly name: string;
      readonly kind: 'empty';
      readonly medium: 'Disk' | 'Memory';
      readonly sizeLimitBytes?: number;
      readonly mode: number;
      readonly uid: number;
      readonly gid: number;
      /**
       * Docker semantics: an implicit volume of a Docker-style image (docker2aci's
       * `appc.io/docker/` annotations) starts with what that app's image holds at the mount
       * point's path, copied once, into the freshly made volume (mode and owner then follow the
       * image's directory). Absent: the volume starts empty, as every volume in rkt did — also in
       * plans of older rocklets. Disk volumes only.
       */
      readonly prefillFrom?: PlannedPrefill;
    }
  | PlannedFilesVolume;

/**
 * A configMap, secret or downwardAPI volume: a tmpfs with these files, mounted read-only into
 * apps. `data` (base64) is absent for a Secret's files: their bytes are in the pod's secrets file.
 */
export interface PlannedFilesVolume {
  readonly name: string;
  readonly kind: 'files';
  readonly secret: boolean;
  readonly files: readonly { readonly path: string; readonly mode: number; readonly data?: string }[];
}

/** Where a prefilled volume's first content comes from: `path` in the image of app `app`. */
export interface PlannedPrefill {
  readonly app: string;
  /** Absolute path inside the image (the mount point's). */
  readonly path: string;
}

export interface PodPlan {
  readonly version: typeof POD_PLAN_VERSION;
  /** The pod file's pod name (pod files only); standalone pods have none. */
  readonly podName?: string;
  /** Spec hash of the pod file (pod files only): lets the daemon adopt the pod. */
  readonly specHash?: string;
  readonly stage1: 'crun' | 'fly';
  readonly apps: readonly PlannedApp[];
  readonly volumes: readonly PlannedVolume[];
  readonly net: NetRequest;
  readonly dns: DnsRequest;
  readonly hosts: HostsRequest;
  /** Extra /etc/hosts entries from hostAliases. */
  readonly hostAliases: readonly { readonly ip: string; readonly hostnames: readonly string[] }[];
  /** Default `rocklet-<uuid>` is filled in by `pod up`. */
  readonly hostname?: string;
  readonly annotations: Readonly<Record<string, string>>;
  /**
   * Pod files only: namespaced sysctls, name → value in file order. They belong to the pod's
   * network and IPC namespaces, which all apps share, so every app's OCI config carries all of
   * them (setting a value again is harmless). Absent: none — also in plans of older rocklets.
   */
  readonly sysctls?: Readonly<Record<string, string>>;
  /** Pod files' `hostPID: true`: apps join the host's PID namespace. */
  readonly hostPID?: true;
  /** Pod files' `hostIPC: true`: apps join the host's IPC namespace instead of the pod's. */
  readonly hostIPC?: true;
}
