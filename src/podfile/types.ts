/**
 * @module podfile/types — PodSpec, the one internal model of a pod that the runtime core and
 * the daemon use, whichever file format it came from (Kubernetes Pod or appc PodManifest).
 *
 * Invariants: every value is validated and defaulted (no optional "use the default" fields
 * except where the image supplies the default: command, args, workingDir, user, group);
 * quantities are numbers in base units (bytes, millicores); names are branded so only the
 * parser creates them; everything is readonly and JSON-serialisable (no Maps, no classes).
 */
import type { DockerReference } from '../image/index.js';
import type { InsecureFeature } from '../util/index.js';
import type { ContainerProbes, LifecycleHooks } from './probe-types.js';

declare const brand: unique symbol;
/** A string that only its parser can produce. */
export type Brand<B extends string> = string & { readonly [brand]: B };

/** `metadata.name`: a DNS-1123 label (≤ 63, `[a-z0-9]([-a-z0-9]*[a-z0-9])?`). */
export type PodName = Brand<'PodName'>;
/** `metadata.namespace`: a DNS-1123 label, default `default`. */
export type PodNamespace = Brand<'PodNamespace'>;
/** A container or appc app name: DNS-1123 label, unique across init and app containers. */
export type ContainerName = Brand<'ContainerName'>;
/** A volume name: DNS-1123 label, unique in the pod. */
export type VolumeName = Brand<'VolumeName'>;
/** A port name: IANA service name (Kubernetes) or AC Name (appc). */
export type PortName = Brand<'PortName'>;
/** The pod's UTS hostname: a DNS-1123 label. */
export type Hostname = Brand<'Hostname'>;
/** An absolute, normalised path (no `.`/`..` components, no trailing slash). */
export type AbsolutePath = Brand<'AbsolutePath'>;
/** An environment variable name, `^[A-Za-z_][A-Za-z0-9_.-]*$`. */
export type EnvVarName = Brand<'EnvVarName'>;
/** `sha256:<hex>` of the normalised spec; see spec-hash.ts for what it covers. */
export type SpecHash = Brand<'SpecHash'>;

export const POD_FILE_FORMATS = ['kubernetes', 'appc'] as const;
/** Which syntax a spec was written in; decides `$(VAR)` expansion (Kubernetes only). */
export type PodFileFormat = (typeof POD_FILE_FORMATS)[number];

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export const PROTOCOLS = ['TCP', 'UDP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** `Default` = the host's resolv.conf (Kubernetes' ClusterFirst means the same on one host); `None` = dnsConfig only. */
export const DNS_POLICIES = ['Default', 'None'] as const;
export type DnsPolicy = (typeof DNS_POLICIES)[number];

/** `''` = no check before the bind mount (Kubernetes' default); the others check or create. */
export const HOST_PATH_TYPES = ['', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate'] as const;
export type HostPathType = (typeof HOST_PATH_TYPES)[number];

/** `Disk` = a directory under the pod dir; `Memory` = a tmpfs. */
export const EMPTY_DIR_MEDIA = ['Disk', 'Memory'] as const;
export type EmptyDirMedium = (typeof EMPTY_DIR_MEDIA)[number];

/**
 * The downward-API fields a container env var may reference; the runtime computes them.
 * `metadata.labels` / `metadata.annotations` take a key in env (`metadata.labels['app']`) and
 * are whole maps in a downwardAPI volume.
 */
export const FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations', 'spec.nodeName',
  'spec.serviceAccountName', 'status.hostIP', 'status.podIP', 'status.podIPs', 'status.hostIPs',
] as const;
export type FieldPath = (typeof FIELD_PATHS)[number];

/** The container resources a `resourceFieldRef` may name. */
export const RESOURCE_FIELDS = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory', 'limits.ephemeral-storage', 'requests.ephemeral-storage'] as const;
export type ResourceField = (typeof RESOURCE_FIELDS)[number];

/** The cluster-free objects a pod may reference: documents beside it, or files in `<config-dir>/configmaps|secrets/`. */
export const CONFIG_OBJECT_KINDS = ['ConfigMap', 'Secret'] as const;
export type ConfigObjectKind = (typeof CONFIG_OBJECT_KINDS)[number];

/** A downward-API field reference (`key` for one label or annotation). */
export interface FieldRef {
  readonly fieldPath: FieldPath;
  readonly key?: string;
}

/** A `resourceFieldRef`: a resource of one container, divided by `divisor` (base units: millicores or bytes) and rounded up. */
export interface ResourceFieldRef {
  readonly container: ContainerName;
  readonly resource: ResourceField;
  readonly divisor: number;
}

/** A ConfigMap or Secret, validated; `data` values are base64 of the bytes, whatever field they came from. */
export interface ConfigObject {
  readonly kind: ConfigObjectKind;
  readonly name: string;
  readonly namespace: PodNamespace;
  readonly immutable: boolean;
  readonly data: Readonly<Record<string, string>>;
}

/** Per-pod opt-outs from secure defaults (annotation `rocklet.io/insecure-options`); a subset of `--insecure-options`. */
export const POD_INSECURE_OPTIONS = ['image'] as const satisfies readonly InsecureFeature[];
export type PodInsecureOption = (typeof POD_INSECURE_OPTIONS)[number];

/** A Linux capability as OCI writes it, e.g. `CAP_NET_BIND_SERVICE`. */
export type CapabilityName = Brand<'CapabilityName'>;

/** Where a container's image comes from. */
export type ImageSource =
  | { readonly kind: 'docker'; readonly reference: DockerReference }
  /** appc: a full or prefix image ID (`sha512-…`) and/or a name with labels, resolved from the local store. */
  | { readonly kind: 'appc'; readonly id?: string; readonly name?: string; readonly labels: Readonly<Record<string, string>> };

export type EnvVar =
  | { readonly kind: 'value'; readonly name: EnvVarName; readonly value: string }
  | { readonly kind: 'field'; readonly name: EnvVarName; readonly fieldPath: FieldPath; readonly key?: string }
  | { readonly kind: 'resource'; readonly name: EnvVarName; readonly ref: ResourceFieldRef }
  /** `configMapKeyRef` / `secretKeyRef`: resolved when the pod is prepared. */
  | {
      readonly kind: 'objectKey';
      readonly name: EnvVarName;
      readonly object: ConfigObjectKind;
      readonly objectName: string;
      readonly key: string;
      readonly optional: boolean;
    };

/** One `envFrom` entry: every key of the object (valid variable names only), with `prefix`. */
export interface EnvFromSource {
  readonly object: ConfigObjectKind;
  readonly objectName: string;
  readonly prefix: string;
  readonly optional: boolean;
}

export interface ContainerPort {
  readonly name?: PortName;
  readonly containerPort: number;
  readonly protocol: Protocol;
  /** Published on the host when set (1–65535). */
  readonly hostPort?: number;
  /** Host address to publish on; absent = every address. */
  readonly hostIP?: string;
}

export interface VolumeMount {
  readonly name: VolumeName;
  readonly mountPath: AbsolutePath;
  readonly readOnly: boolean;
  /** A relative path inside the volume to mount instead of its root (created when missing). */
  readonly subPath?: string;
  /** Like subPath, with `$(VAR)` references to the container's env expanded when the pod is planned. */
  readonly subPathExpr?: string;
}

/** Requests default to limits (Kubernetes); requests ≤ limits. */
export interface ResourceRequirements {
  readonly cpu?: { readonly requestMillicores: number; readonly limitMillicores?: number };
  readonly memory?: { readonly requestBytes: number; readonly limitBytes?: number };
  /** appc `os/linux/cpu-shares` (2–262144); Kubernetes derives the weight from the request. */
  readonly cpuShares?: number;
}

/** A user or group: numeric (Kubernetes, appc digits), a name or a file path in the image (appc). */
export type IdentityRef =
  | { readonly kind: 'id'; readonly id: number }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'path'; readonly path: AbsolutePath };

export type SeccompPolicy =
  | { readonly kind: 'RuntimeDefault' }
  | { readonly kind: 'Unconfined' }
  /** A profile file `<config-dir>/seccomp/<profile>` (OCI seccomp JSON), read when the pod is prepared. */
  | { readonly kind: 'Localhost'; readonly profile: string }
  /** appc seccomp retain/remove sets: syscall names or `@group` wildcards, optional errno. */
  | { readonly kind: 'syscalls'; readonly mode: 'retain' | 'remove'; readonly syscalls: readonly string[]; readonly errno?: string };

/** Pod-level settings are already folded in (container values win). */
export interface ContainerSecurity {
  /** Absent = the image's user. */
  readonly user?: IdentityRef;
  /** Absent = the image's group (or the user's primary group). */
  readonly group?: IdentityRef;
  readonly supplementalGroups: readonly number[];
  /** Checked at start against the resolved uid. */
  readonly runAsNonRoot: boolean;
  readonly readOnlyRootFilesystem: boolean;
  /** `allowPrivilegeEscalation: false` (Kubernetes) or `os/linux/no-new-privileges` (appc). */
  readonly noNewPrivileges: boolean;
  /** The effective bounding set, sorted: (default 14 ∪ add) − drop. */
  readonly capabilities: readonly CapabilityName[];
  readonly seccomp: SeccompPolicy;
  /** `rocklet.io/oom-score-adj` or appc `os/linux/oom-score-adj` (−1000…1000). */
  readonly oomScoreAdj?: number;
  /**
   * `privileged: true`: every capability the host has, no seccomp filter, the host's devices,
   * /sys and /proc writable and unmasked. Absent when false (keeps older spec hashes).
   */
  readonly privileged?: true;
}

/** appc event handlers (Kubernetes lifecycle hooks are `ContainerSpec.lifecycle`). */
export interface EventHandlers {
  readonly preStart?: readonly string[];
  readonly postStop?: readonly string[];
}

export interface ContainerSpec {
  readonly name: ContainerName;
  readonly image: ImageSource;
  readonly imagePullPolicy: PullPolicy;
  /** Replaces the image entrypoint (and drops its Cmd); absent = the image's. Unexpanded `$(VAR)`. */
  readonly command?: readonly string[];
  /** Replaces the image's Cmd; absent = the image's (unless command is given). Unexpanded `$(VAR)`. */
  readonly args?: readonly string[];
  /** Absent = the image's working directory, else `/`. */
  readonly workingDir?: AbsolutePath;
  /** In file order; values unexpanded (see expandContainer). */
  readonly env: readonly EnvVar[];
  /** `envFrom` in file order (absent when none, so older specs keep their hash); `env` wins over it. */
  readonly envFrom?: readonly EnvFromSource[];
  readonly ports: readonly ContainerPort[];
  readonly volumeMounts: readonly VolumeMount[];
  readonly resources: ResourceRequirements;
  readonly security: ContainerSecurity;
  readonly eventHandlers: EventHandlers;
  /** `tty: true`: the container's stdio is a pseudo-terminal (its output still reaches the logs). */
  readonly tty?: true;
  /** `stdin: true`: accepted; nothing attaches to a pod's stdin on one host (it reads end of file). */
  readonly stdin?: true;
  /** An init container with `restartPolicy: Always` (a native sidecar): started before the app containers, stopped after them. */
  readonly sidecar?: true;
  /** Kubernetes probes (app containers of pod files); absent = none. */
  readonly probes?: ContainerProbes;
  /** Kubernetes lifecycle hooks; absent = none. */
  readonly lifecycle?: LifecycleHooks;
}

export type VolumeSource =
  /** `recursive` = rbind (always true for Kubernetes). */
  | { readonly kind: 'hostPath'; readonly path: AbsolutePath; readonly type: HostPathType; readonly recursive: boolean }
  /** Kubernetes: mode 0777 uid 0 gid 0; appc: its mode/uid/gid (default 0755, 0, 0). */
  | {
      readonly kind: 'emptyDir';
      readonly medium: EmptyDirMedium;
      readonly sizeLimitBytes?: number;
      readonly mode: number;
      readonly uid: number;
      readonly gid: number;
    }
  /** A ConfigMap or Secret as files (every key, or `items`), read-only, on a tmpfs. */
  | {
      readonly kind: 'object';
      readonly object: ConfigObjectKind;
      readonly objectName: string;
      readonly items?: readonly KeyToPath[];
      readonly defaultMode: number;
      readonly optional: boolean;
    }
  | { readonly kind: 'downwardAPI'; readonly items: readonly DownwardApiFile[]; readonly defaultMode: number }
  /** Several ConfigMaps, Secrets and downward-API items in one directory (`projected`); file paths unique across sources. */
  | { readonly kind: 'projected'; readonly sources: readonly ProjectedSource[]; readonly defaultMode: number };

/** One source of a projected volume (Kubernetes' VolumeProjection, without the cluster-only kinds). */
export type ProjectedSource =
  | { readonly kind: 'object'; readonly object: ConfigObjectKind; readonly objectName: string; readonly items?: readonly KeyToPath[]; readonly optional: boolean }
  | { readonly kind: 'downwardAPI'; readonly items: readonly DownwardApiFile[] };

/** A file of a configMap/secret volume: `key` of the object at `path` (relative, no `..`). */
export interface KeyToPath {
  readonly key: string;
  readonly path: string;
  readonly mode?: number;
}

/** A file of a downwardAPI volume. */
export interface DownwardApiFile {
  readonly path: string;
  readonly fieldRef?: FieldRef;
  readonly resourceFieldRef?: ResourceFieldRef;
  readonly mode?: number;
}

export interface VolumeSpec {
  readonly name: VolumeName;
  readonly source: VolumeSource;
}

export interface DnsSpec {
  readonly policy: DnsPolicy;
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly { readonly name: string; readonly value?: string }[];
}

export interface HostAlias {
  readonly ip: string;
  readonly hostnames: readonly string[];
}

/** The two built-in priority classes (the only ones that exist without a cluster). */
export const PRIORITY_CLASSES = { 'system-node-critical': 2_000_001_000, 'system-cluster-critical': 2_000_000_000 } as const;
export type PriorityClassName = keyof typeof PRIORITY_CLASSES;

export interface Sysctl {
  readonly name: string;
  readonly value: string;
}

/** A validated, defaulted pod: what rocklet will run. */
export interface PodSpec {
  readonly format: PodFileFormat;
  readonly name: PodName;
  readonly namespace: PodNamespace;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Must all be present with equal values in the machine labels for the pod to run here. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Run one after the other, each to success, before the app containers. */
  readonly initContainers: readonly ContainerSpec[];
  readonly containers: readonly ContainerSpec[];
  readonly volumes: readonly VolumeSpec[];
  readonly restartPolicy: RestartPolicy;
  readonly terminationGracePeriodSeconds: number;
  readonly hostNetwork: boolean;
  readonly hostname: Hostname;
  readonly dns: DnsSpec;
  readonly hostAliases: readonly HostAlias[];
  readonly shareProcessNamespace: boolean;
  /** Namespaced sysctls only, in file order. */
  readonly sysctls: readonly Sysctl[];
  readonly insecureOptions: readonly PodInsecureOption[];
  /** `hostPID: true`: the containers share the host's PID namespace. Absent when false. */
  readonly hostPID?: true;
  /** `hostIPC: true`: the containers share the host's IPC namespace. Absent when false. */
  readonly hostIPC?: true;
  /** `priorityClassName`, one of the two system classes; absent for ordinary pods. */
  readonly priorityClassName?: PriorityClassName;
  /** The class's priority value (`spec.priority` must match it when given). */
  readonly priority?: number;
  /** `securityContext.fsGroup`: owns the pod's emptyDir volumes and is a supplementary group of every container. */
  readonly fsGroup?: number;
}
