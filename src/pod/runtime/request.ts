/**
 * @module pod/runtime/request — what `rocklet run` / `prepare` ask for, parsed and typed at the
 * CLI edge (src/cli/run-args.ts) and handed to the runtime core. Images are not fetched yet and
 * the image manifests are unknown here: planning (plan-images.ts) resolves them, because rkt's
 * environment precedence and defaults (name, exec, ports) need the image.
 *
 * Everything the user can get wrong syntactically is already checked (quantities, ids,
 * NAME=VALUE pairs, port and volume syntax); what needs the image or the host (does the port
 * name exist, does the host path exist, is the user in the image) is checked by planning.
 */

/** `--net`: rkt's three modes (rkt's named CNI networks are not supported). */
export type NetRequest = 'host' | 'none' | 'default';

export interface EnvPair {
  readonly name: string;
  readonly value: string;
}

/** `--volume NAME,kind=host,source=PATH[,readOnly=BOOL][,recursive=BOOL]` or `kind=empty[,mode=0755][,uid=N][,gid=N]`. */
export type VolumeRequest =
  | { readonly name: string; readonly kind: 'host'; readonly source: string; readonly readOnly: boolean; readonly recursive: boolean }
  | { readonly name: string; readonly kind: 'empty'; readonly mode: number; readonly uid: number; readonly gid: number; readonly readOnly: boolean };

/** Per-app `--mount volume=NAME,target=PATH`: PATH is absolute or a mount-point name of the image. */
export interface MountRequest {
  readonly volume: string;
  readonly target: string;
}

/** `--port=NAME:[HOSTIP:]HOSTPORT` (NAME is a port the image declares). */
export interface PortRequest {
  readonly name: string;
  readonly hostIp?: string;
  readonly hostPort: number;
}

/** One IMAGE argument with the per-app flags and `-- ARGS` that followed it. */
export interface AppRequest {
  /** The IMAGE argument as given: file path, https URL, appc name[,labels], or image ID. */
  readonly image: string;
  /** `--signature` for this image. */
  readonly signature?: string;
  /** `--name` (an AC Name); default: the last path component of the image name. */
  readonly name?: string;
  /** `--exec`: replaces the image's exec[0] (and drops the image's arguments, as rkt). */
  readonly exec?: string;
  /** Arguments after `--` (up to `---`): appended to the exec that results (the image's, or `[--exec]`), as rkt did. */
  readonly args?: readonly string[];
  readonly workingDir?: string;
  /** `--user` / `--group` as given: a name, a number, or an absolute path in the image. */
  readonly user?: string;
  readonly group?: string;
  /** Per-app `--environment`, in order. */
  readonly environment: readonly EnvPair[];
  readonly readOnlyRootfs: boolean;
  /** `--memory` in bytes. */
  readonly memoryBytes?: number;
  /** `--cpu` in millicores. */
  readonly cpuMillicores?: number;
  /** `--caps-retain` / `--caps-remove`, as `CAP_…` names (upper case, prefixed). */
  readonly capsRetain?: readonly string[];
  readonly capsRemove?: readonly string[];
  readonly oomScoreAdj?: number;
  readonly mounts: readonly MountRequest[];
}

/** DNS settings of the pod (`--dns`, `--dns-search`, `--dns-opt`, `--dns-domain`). */
export interface DnsRequest {
  /** `--dns=host`: copy the host's resolv.conf (the other DNS flags are then refused). */
  readonly host: boolean;
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
  readonly domain?: string;
}

/** `--hosts-entry`: `IP=HOST` entries, or the host's /etc/hosts (`host`). */
export interface HostsRequest {
  readonly host: boolean;
  readonly entries: readonly { readonly ip: string; readonly hostname: string }[];
}

/** Pod-level settings shared by every way of describing the pod. */
export interface PodOptions {
  readonly stage1: 'crun' | 'fly';
  readonly net: NetRequest;
  readonly ports: readonly PortRequest[];
  readonly dns: DnsRequest;
  readonly hosts: HostsRequest;
  readonly hostname?: string;
  /** `--inherit-env`: the caller's environment, lowest precedence. */
  readonly inheritEnv: boolean;
  /** `--set-env-file` contents, already read and parsed, in flag order. */
  readonly setEnvFile: readonly EnvPair[];
  /** `--set-env`, in order. */
  readonly setEnv: readonly EnvPair[];
  readonly uuidFileSave?: string;
  /**
   * True when `--net` was given. With `--pod-manifest` / `--pod-file` only an explicit `--net`
   * overrides the file's `hostNetwork` (and `--hostname`, `--dns*`, `--hosts-entry` override
   * the file's when given).
   */
  readonly explicitNet?: boolean;
}

/** What the pod's apps come from. */
export type PodSource =
  | { readonly kind: 'images'; readonly apps: readonly AppRequest[]; readonly volumes: readonly VolumeRequest[] }
  /** `--pod-manifest=FILE` (appc JSON) or `--pod-file=FILE` (Kubernetes Pod YAML). */
  | { readonly kind: 'pod-manifest' | 'pod-file'; readonly path: string };

/** A parsed `run` / `prepare` command line. */
export interface RunRequest {
  readonly source: PodSource;
  readonly options: PodOptions;
}
