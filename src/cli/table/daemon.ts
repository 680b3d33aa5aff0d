/** @module cli/table/daemon — the declarative side: pod files and the daemon. */
import type { CommandSpec } from '../command.js';

const POD_DIR = { name: 'pod-dir', kind: 'string', valueName: 'DIR', defaultText: '/etc/pods', help: 'directory of pod files' } as const;
const RUN_DIR = { name: 'run-dir', kind: 'string', valueName: 'DIR', defaultText: '/run/rocklet', help: 'runtime state: the daemon\'s lock and status file' } as const;

export const DAEMON_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'daemon', summary: 'watch the pod directory and keep its pods running as systemd units', usage: '[flags]',
    description: 'Runs until SIGTERM (pods keep running when it stops); SIGHUP re-reads the registries, CA file and stall timeout of config.yaml, retries failed pulls at once and forces a full resync.\n'
      + 'Settings also come from the "daemon" section of <config-dir>/config.yaml; machine labels from <config-dir>/machine.yaml.',
    flags: [
      POD_DIR,
      { name: 'resync-interval', kind: 'string', valueName: 'DURATION', defaultText: '1m', help: 'full reconcile period' },
      { name: 'once', kind: 'boolean', help: 'reconcile once, then exit (provisioning scripts, tests)' },
      RUN_DIR,
    ],
    load: () => import('../commands/daemon.js'),
  },
  {
    name: 'pods', summary: 'show every pod file and the state of its pod', usage: '[flags]',
    description: 'States: Running, Starting, Pulling, Failed, Invalid, Rejected, Skipped, Stopped, Completed.',
    flags: [{ name: 'wide', kind: 'boolean', help: 'also show pod UUIDs and spec hashes' }, RUN_DIR],
    load: () => import('../commands/pods.js'),
  },
  {
    name: 'validate', summary: 'check pod files, or a whole bundle directory, without running them', usage: '[flags] FILE|DIR...',
    description: 'Prints "FILE: ok" or every error as FILE:LINE:COL: field.path: message.\n'
      + 'A DIR is a provisioning bundle: its pod files are read as the daemon reads the pod directory, and two files that\n'
      + 'one machine would both run (nodeSelectors that can both match) with the same pod name or hostPort are a conflict:\n'
      + '"FILE: conflict: REASON on machines with LABELS". For CI pipelines.\n'
      + 'Exit codes: 0 when every file is valid (and no conflicts), 1 when any is invalid or conflicts, 2 for usage errors, 254 when rocklet fails.',
    flags: [{ name: 'print', kind: 'boolean', help: 'print the normalised pod spec rocklet would run (one FILE)' }],
    load: () => import('../commands/validate.js'),
  },
  {
    name: 'plan', summary: 'show what the daemon would change, without changing it', usage: '[flags]',
    description: 'Actions: start, update (with the changed fields), stop, adopt, keep, skip, reject, invalid.\n'
      + 'What a machine would run from a bundle: rocklet plan --fresh --pod-dir=BUNDLE --machine=MACHINE.yaml\n'
      + 'Exit codes: 0; with --detailed-exitcode 0 when nothing would change, 2 when something would; 254 when rocklet fails.',
    flags: [
      POD_DIR,
      { name: 'machine', kind: 'string', valueName: 'FILE', defaultText: '<config-dir>/machine.yaml', help: 'machine labels to plan for' },
      { name: 'detailed-exitcode', kind: 'boolean', help: 'exit 2 when something would change' },
      { name: 'fresh', kind: 'boolean', help: 'plan for a machine that runs nothing yet (a bundle in CI): no systemd, daemon or root-owned files needed' },
    ],
    load: () => import('../commands/plan.js'),
  },
];
