/** @module cli/table/shared-flags — flag specs several commands share. */
import type { FlagSpec } from '../flags.js';

export const FULL: FlagSpec = { name: 'full', kind: 'boolean', help: 'use long output format (full IDs and timestamps)' };
export const NO_LEGEND: FlagSpec = { name: 'no-legend', kind: 'boolean', help: 'suppress the legend (column headers)' };
export const UUID_FILE: FlagSpec = { name: 'uuid-file', kind: 'string', valueName: 'FILE', help: 'read the pod UUID from FILE (written by --uuid-file-save)' };
export const UUID_FILE_SAVE: FlagSpec = { name: 'uuid-file-save', kind: 'string', valueName: 'FILE', help: 'write the pod UUID to FILE' };
export const OVERWRITE: FlagSpec = { name: 'overwrite', kind: 'boolean', help: 'overwrite the output if it exists' };
export const PRETTY_PRINT: FlagSpec = { name: 'pretty-print', kind: 'boolean', defaultText: 'true', help: 'indent the JSON output' };
export const PULL_POLICY: FlagSpec = {
  name: 'pull-policy', kind: 'string', valueName: 'POLICY', choices: ['new', 'update', 'never'],
  help: 'when to fetch: new (only if not in the store), update (always check the remote), never (store only)',
};

/** Flags shared by `run` and `prepare` (pod-level; per-app flags follow each IMAGE). */
export const POD_FLAGS: readonly FlagSpec[] = [
  { name: 'pod-manifest', kind: 'string', valueName: 'FILE', help: 'run the appc PodManifest (JSON) in FILE instead of IMAGE arguments' },
  { name: 'pod-file', kind: 'string', valueName: 'FILE', help: 'run the Kubernetes-style pod file FILE instead of IMAGE arguments' },
  { name: 'stage1', kind: 'string', valueName: 'NAME', choices: ['crun', 'fly'], defaultText: 'crun', help: 'how apps are executed: crun (OCI runtime) or fly (chroot, host network, one app)' },
  PULL_POLICY,
  { name: 'volume', kind: 'list', valueName: 'NAME,kind=host|empty,...', help: 'a pod volume (repeatable)' },
  { name: 'port', kind: 'list', valueName: 'NAME:[HOSTIP:]HOSTPORT', help: 'forward a host port to an app port declared by the image (repeatable)' },
  { name: 'set-env', kind: 'list', valueName: 'NAME=VALUE', help: 'an environment variable for all apps (repeatable)' },
  { name: 'set-env-file', kind: 'list', valueName: 'FILE', help: 'environment variables for all apps, one NAME=VALUE per line' },
  { name: 'inherit-env', kind: 'boolean', help: 'give the apps the environment of this command' },
  { name: 'mount', kind: 'list', valueName: 'volume=NAME,target=PATH', help: 'mount a pod volume into every app (an app\'s own --mount with the same target wins)' },
  { name: 'hostname', kind: 'string', valueName: 'NAME', help: 'the pod hostname (default rocklet-<uuid>)' },
  { name: 'net', kind: 'list', valueName: 'host|none|default', optionalValue: 'default', defaultText: 'default', help: 'the pod network (a bare --net means default)' },
  { name: 'dns', kind: 'list', valueName: 'IP|host', help: 'a name server for the pod, or "host" for the host resolv.conf' },
  { name: 'dns-search', kind: 'list', valueName: 'DOMAIN', help: 'a DNS search domain' },
  { name: 'dns-opt', kind: 'list', valueName: 'OPT', help: 'a DNS resolver option' },
  { name: 'dns-domain', kind: 'string', valueName: 'DOMAIN', help: 'the DNS domain of the pod' },
  { name: 'hosts-entry', kind: 'list', valueName: 'IP=HOST', help: 'an /etc/hosts entry, or "host" for the host file' },
  UUID_FILE_SAVE,
  { name: 'quiet', kind: 'boolean', help: 'print nothing but the UUID (prepare)' },
];

/** Extra TLS roots for image downloads and discovery (fetch, run, prepare). */
export const FETCH_CA_FILE: FlagSpec = {
  name: 'ca-file', kind: 'string', valueName: 'FILE',
  help: 'PEM CA certificate(s) to trust for https downloads and discovery, besides the system roots (config.yaml: tls.caFile)',
};
/** The no-progress timeout of downloads (fetch, run, prepare). */
export const FETCH_STALL_TIMEOUT: FlagSpec = {
  name: 'stall-timeout', kind: 'string', valueName: 'DURATION', defaultText: '30s',
  help: 'fail a download that receives nothing for this long (config.yaml: fetch.stallTimeout)',
};

/** The platform to pick from a multi-arch OCI image (fetch, run, prepare). */
export const FETCH_PLATFORM: FlagSpec = {
  name: 'platform', kind: 'string', valueName: 'OS/ARCH[/VARIANT]',
  help: 'fetch OCI/Docker images for this platform (default: the host\'s); an image for another platform does not run here',
};

/**
 * The flag table of `run` and `prepare` (pod-level flags; per-app flags follow each IMAGE). Here,
 * not in pods.ts, because the handlers parse their own command line with it and the command
 * table loads the handlers: importing the table from a handler would close a circle.
 */
export const RUN_FLAGS: readonly FlagSpec[] = [...POD_FLAGS, FETCH_CA_FILE, FETCH_STALL_TIMEOUT, FETCH_PLATFORM];

/** Per-app flags accepted after each IMAGE of `run`/`prepare`. */
export const APP_FLAGS: readonly FlagSpec[] = [
  { name: 'name', kind: 'string', valueName: 'NAME', help: 'the app name (default: from the image name)' },
  { name: 'exec', kind: 'string', valueName: 'PATH', help: 'override the image executable' },
  { name: 'working-dir', kind: 'string', valueName: 'DIR', help: 'override the working directory' },
  { name: 'user', kind: 'string', valueName: 'USER', help: 'user name or id (or a path: its owner)' },
  { name: 'group', kind: 'string', valueName: 'GROUP', help: 'group name or id (or a path: its group)' },
  { name: 'environment', kind: 'list', valueName: 'NAME=VALUE', help: 'an environment variable for this app' },
  { name: 'readonly-rootfs', kind: 'boolean', help: 'mount the app root filesystem read-only' },
  { name: 'memory', kind: 'string', valueName: 'QUANTITY', help: 'memory limit, e.g. 128M' },
  { name: 'cpu', kind: 'string', valueName: 'QUANTITY', help: 'CPU limit in cores or millicores, e.g. 500m' },
  { name: 'caps-retain', kind: 'string', valueName: 'CAPS', help: 'capabilities to keep (comma list)' },
  { name: 'caps-remove', kind: 'string', valueName: 'CAPS', help: 'capabilities to drop (comma list)' },
  { name: 'oom-score-adj', kind: 'string', valueName: 'N', help: 'OOM score adjustment (-1000..1000)' },
  { name: 'mount', kind: 'list', valueName: 'volume=NAME,target=PATH', help: 'mount a pod volume into this app' },
  { name: 'signature', kind: 'string', valueName: 'FILE', help: 'signature file of this image' },
];
