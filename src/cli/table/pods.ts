/** @module cli/table/pods — rkt's pod commands (runtime core). */
import type { CommandSpec } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { APP_FLAGS, FETCH_CA_FILE, FETCH_PLATFORM, FETCH_STALL_TIMEOUT, FULL, NO_LEGEND, OVERWRITE, PRETTY_PRINT, POD_FLAGS, PULL_POLICY, RUN_FLAGS, UUID_FILE } from './shared-flags.js';

/** The per-app flags of run/prepare, for their --help (the flag table lists only pod flags). */
const APP_FLAGS_HELP = ['App flags (after each IMAGE, before its -- ARGS):', ...APP_FLAGS.map((flag) => {
  const left = `--${flag.name}${flag.kind === 'boolean' ? '' : `=${flag.valueName ?? 'VALUE'}`}`;
  return `  ${left.padEnd(32)} ${flag.help}`;
})].join('\n');

/** The flags of `fetch` (and its hidden alias `image fetch`). */
export const FETCH_FLAGS: readonly FlagSpec[] = [
  FULL, PULL_POLICY,
  { name: 'signature', kind: 'list', valueName: 'FILE', help: 'signature file of the matching IMAGE (repeatable, in order)' },
  FETCH_CA_FILE, FETCH_STALL_TIMEOUT, FETCH_PLATFORM,
];

export const POD_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'run', summary: 'run images in a new pod, in the foreground', usage: '[flags] IMAGE [app flags] [-- ARGS...] [--- IMAGE ...]',
    description: 'Fetches (pull policy "new"), verifies and runs one or more images as apps of one pod and waits for them.\n'
      + 'Exits with the app\'s exit code, or 254 when rocklet itself fails.\n\n' + APP_FLAGS_HELP,
    flags: RUN_FLAGS, stopAtFirstPositional: true,
    load: () => import('../commands/run.js'),
  },
  {
    name: 'prepare', summary: 'prepare a pod from images and print its UUID', usage: '[flags] IMAGE [app flags] [-- ARGS...] [--- IMAGE ...]',
    description: 'Fetches (pull policy "new"), verifies and renders the images, plans the pod and leaves it prepared for "run-prepared".\n'
      + 'Prints the pod UUID. Instead of IMAGE arguments: --pod-manifest=FILE (appc JSON) or --pod-file=FILE (pod file).\n\n' + APP_FLAGS_HELP,
    flags: RUN_FLAGS, stopAtFirstPositional: true,
    load: () => import('../commands/prepare.js'),
  },
  { name: 'run-prepared', summary: 'run a prepared pod', usage: '[flags] UUID', flags: POD_FLAGS.filter((f) => ['net', 'dns', 'dns-search', 'dns-opt', 'dns-domain', 'hosts-entry', 'hostname'].includes(f.name)), load: () => import('../commands/run-prepared.js') },
  {
    name: 'fetch', summary: 'fetch images into the store and print their IDs', usage: '[flags] IMAGE...',
    description: 'IMAGE is a file path, an https:// URL, an appc image name (example.com/app:1.0,os=linux) resolved by meta discovery,\n'
      + 'or an image ID (store only). Prints one image ID per IMAGE. Signatures: <file>.asc, <URL>.asc, or the discovered {ext}=aci.asc;\n'
      + 'they are verified before the image enters the store (skip with --insecure-options=image). Pull policy default: update.\n'
      + 'HTTP caching: ETag/Last-Modified and Cache-Control max-age are kept per URL; interrupted downloads resume.',
    flags: FETCH_FLAGS,
    load: () => import('../commands/fetch.js'),
  },
  {
    name: 'trust', summary: 'trust keys for verifying images; set the signature policy of Docker/OCI images', usage: '[flags] [KEY...]',
    description: 'KEY is a file path or an https URL; without KEY the keys are discovered from --prefix (ac-discovery-pubkeys).\n'
      + 'Keys are stored in <config-dir>/trustedkeys/: root.d/<fingerprint> and prefix.d/<prefix>/<fingerprint>.\n\n'
      + 'Docker/OCI images follow <config-dir>/policy.json (containers-policy.json(5)). --type sets one scope of it, replacing what\n'
      + 'the scope had: signedBy (GPG simple signing, --pubkeys=KEY.gpg), sigstoreSigned (cosign, --pubkeys=cosign.pub), reject,\n'
      + 'or accept (insecureAcceptAnything: unsigned images). Keys are copied to <config-dir>/policy-keys/. --lookaside=URL says\n'
      + 'where the simple-signing signatures of --scope are (<config-dir>/registries.d/). --list shows the policy and the keys.\n'
      + 'Example: rocklet trust --type=signedBy --scope=registry.example.com/team --pubkeys=team.gpg',
    flags: [
      { name: 'prefix', kind: 'string', valueName: 'PREFIX', help: 'trust the key only for images named PREFIX or below it (PREFIX/...)' },
      { name: 'root', kind: 'boolean', help: 'trust the key for all images' },
      { name: 'skip-fingerprint-review', kind: 'boolean', help: 'accept the key without asking (for scripts)' },
      { name: 'ca-file', kind: 'string', valueName: 'FILE', help: 'PEM CA certificate(s) to trust for https key URLs and discovery, besides the system roots (default: tls.caFile in config.yaml)' },
      { name: 'insecure-allow-http', kind: 'boolean', help: 'allow plain http key URLs and discovery (like --insecure-options=http)' },
      { name: 'type', kind: 'string', valueName: 'TYPE', choices: ['signedBy', 'sigstoreSigned', 'reject', 'accept'], help: 'set the signature policy of --scope for Docker/OCI images' },
      { name: 'scope', kind: 'string', valueName: 'SCOPE', help: 'registry, namespace or repository (quay.io/team), *.domain, or "default", for --type and --lookaside' },
      { name: 'pubkeys', kind: 'list', valueName: 'FILE', help: 'key file(s) for --type=signedBy (OpenPGP) or sigstoreSigned (PEM), repeatable' },
      { name: 'transport', kind: 'string', valueName: 'TRANSPORT', defaultText: 'docker', choices: ['docker', 'oci', 'oci-archive', 'docker-archive'], help: 'the transport whose scope --type sets' },
      { name: 'lookaside', kind: 'string', valueName: 'URL', help: 'where the simple-signing signatures of --scope are (file://, https://)' },
      { name: 'list', kind: 'boolean', help: 'show the signature policy, lookasides and appc keys (--format=json too)' },
    ],
    load: () => import('../commands/trust.js'),
  },
  {
    name: 'login', summary: 'save credentials for a Docker registry', usage: '[flags] REGISTRY',
    description: 'Writes <config-dir>/auth.json (Docker\'s "auths" format, mode 0600), used by docker:// pulls.\n'
      + 'The password is read from stdin; nothing is sent to the registry.',
    flags: [
      { name: 'username', kind: 'string', valueName: 'USER', help: 'the user name (asked for when missing)' },
      { name: 'password-stdin', kind: 'boolean', help: 'read the password from stdin without a prompt' },
    ],
    load: () => import('../commands/login.js'),
  },
  { name: 'logout', summary: 'remove the saved credentials of a Docker registry', usage: 'REGISTRY', load: () => import('../commands/logout.js') },
  { name: 'list', summary: 'list pods', usage: '[flags]', flags: [FULL, NO_LEGEND], load: () => import('../commands/list.js') },
  {
    name: 'status', summary: 'show the status of a pod', usage: '[flags] UUID',
    flags: [UUID_FILE, { name: 'wait', kind: 'string', valueName: 'DURATION', optionalValue: 'true', help: 'wait until the pod has exited (optionally at most DURATION)' }],
    load: () => import('../commands/status.js'),
  },
  { name: 'stop', summary: 'stop pods', usage: '[flags] UUID...', flags: [UUID_FILE, { name: 'force', kind: 'boolean', help: 'kill instead of a graceful stop' }], load: () => import('../commands/stop.js') },
  {
    name: 'enter', summary: 'run a command in a running pod', usage: '[--app=APP] UUID [CMD [ARGS...]]', stopAtFirstPositional: true,
    flags: [{ name: 'app', kind: 'string', valueName: 'APP', help: 'the app to enter (needed when the pod has several)' }],
    load: () => import('../commands/enter.js'),
  },
  { name: 'rm', summary: 'remove non-running pods', usage: '[flags] UUID...', flags: [UUID_FILE], load: () => import('../commands/rm.js') },
  {
    name: 'gc', summary: 'garbage-collect exited pods', usage: '[flags]',
    flags: [
      { name: 'grace-period', kind: 'string', valueName: 'DURATION', defaultText: '30m', help: 'how long exited pods are kept before deletion' },
      { name: 'expire-prepared', kind: 'string', valueName: 'DURATION', defaultText: '24h', help: 'how long prepared pods are kept' },
      { name: 'mark-only', kind: 'boolean', help: 'only move exited pods to the garbage state' },
    ],
    load: () => import('../commands/gc.js'),
  },
  { name: 'cat-manifest', summary: 'print the pod manifest', usage: '[flags] UUID', flags: [UUID_FILE, PRETTY_PRINT], load: () => import('../commands/cat-manifest.js') },
  { name: 'export', summary: 'export an exited app as an ACI', usage: '[flags] UUID OUT.aci', flags: [OVERWRITE, { name: 'app', kind: 'string', valueName: 'APP', help: 'the app to export' }], load: () => import('../commands/export.js') },
  {
    name: 'logs', summary: 'print what a pod\'s app wrote to stdout and stderr', usage: '[flags] POD|FILE|UUID',
    description: 'POD is a pod name or pod file name as "rocklet pods" shows them, or a pod UUID (any unique prefix).\n'
      + 'Daemon pods and other pods run as units are read from the journal (each start of the app is one run);\n'
      + 'standalone pods ("rocklet run", "run-prepared") from their per-app log files (<pod>/logs/<app>.log, removed with the pod).\n'
      + 'The flags mean what they mean to kubectl logs. With -f, new runs of a restarted app follow; the output ends when the pod is gone.',
    flags: [
      { name: 'app', short: 'c', kind: 'string', valueName: 'APP', help: 'the app (default: the only one; of several, the first, with a note)' },
      { name: 'container', kind: 'string', valueName: 'APP', help: 'same as --app (kubectl\'s name)', hidden: true },
      { name: 'follow', kind: 'boolean', short: 'f', help: 'keep printing new output until the pod is gone' },
      { name: 'tail', kind: 'string', valueName: 'N', defaultText: '-1', help: 'only the last N lines (-1: all)' },
      { name: 'since', kind: 'string', valueName: 'DURATION|TIME', help: 'only lines newer than a duration back (10m, 1h) or a time (2026-12-05T04:30:00Z)' },
      { name: 'timestamps', kind: 'boolean', help: 'start each line with its time (RFC 3339, µs)' },
      { name: 'previous', kind: 'boolean', short: 'p', help: 'the app\'s run before the current one (unit pods: the previous start of its unit)' },
      { name: 'run-dir', kind: 'string', valueName: 'DIR', defaultText: '/run/rocklet', help: 'where the daemon\'s status file is (pod names)' },
    ],
    load: () => import('../commands/logs.js'),
  },
];

/** Unit-side entry points: what the daemon's systemd units run. */
export const UNIT_SIDE_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'pod', summary: 'pod sandbox entry points used by systemd units', usage: 'up|down [flags]',
    subcommands: [
      { name: 'up', summary: 'bring a prepared pod\'s sandbox up: namespaces, network, volumes', usage: '[flags] UUID', load: () => import('../commands/pod-up.js') },
      { name: 'down', summary: 'tear a pod sandbox down and mark it exited', usage: '[flags] UUID', load: () => import('../commands/pod-down.js') },
    ],
  },
  {
    name: 'app', summary: 'app entry points used by systemd units', usage: 'prepare|cleanup|hook [flags]',
    subcommands: [
      { name: 'prepare', summary: 'render an app\'s root filesystem and OCI bundle', usage: '[flags] UUID APP', load: () => import('../commands/app-prepare.js') },
      { name: 'cleanup', summary: 'record an app\'s exit status and release its mounts', usage: '[flags] UUID APP', load: () => import('../commands/app-cleanup.js') },
      { name: 'hook', summary: 'run an app\'s postStart or preStop hook', usage: '[flags] UUID APP postStart|preStop', load: () => import('../commands/app-hook.js') },
    ],
  },
];
