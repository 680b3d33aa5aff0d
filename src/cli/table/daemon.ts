/** @module cli/table/daemon — the declarative side: pod files and the daemon. */
import type { CommandSpec } from '../command.js';

const POD_DIR = { name: 'pod-dir', kind: 'string', valueName: 'DIR', defaultText: '/etc/pods', help: 'directory of pod files' } as const;
const RUN_DIR = { name: 'run-dir', kind: 'string', valueName: 'DIR', defaultText: '/run/rocklet', help: 'runtime state: the daemon\'s lock and status file' } as const;

export const DAEMON_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'daemon', summary: 'watch the pod directory and keep its pods running as systemd units', usage: '[flags]',
    description: 'Runs until SIGTERM (pods keep running when it stops); SIGHUP forces a full resync.\n'
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
    name: 'validate', summary: 'check pod files without running them', usage: '[flags] FILE...',
    description: 'Prints "FILE: ok" or every error as FILE:LINE:COL: field.path: message.\n'
      + 'Exit codes: 0 when every file is valid, 1 when any is invalid, 2 for usage errors, 254 when rocklet fails.',
    flags: [{ name: 'print', kind: 'boolean', help: 'print the normalised pod spec rocklet would run (one FILE)' }],
    load: () => import('../commands/validate.js'),
  },
  {
    name: 'plan', summary: 'show what the daemon would change, without changing it', usage: '[flags]',
    description: 'Actions: start, update (with the changed fields), stop, adopt, keep, skip, reject, invalid.\n'
      + 'Exit codes: 0; with --detailed-exitcode 0 when nothing would change, 2 when something would; 254 when rocklet fails.',
    flags: [
      POD_DIR,
      { name: 'machine', kind: 'string', valueName: 'FILE', defaultText: '<config-dir>/machine.yaml', help: 'machine labels to plan for' },
      { name: 'detailed-exitcode', kind: 'boolean', help: 'exit 2 when something would change' },
    ],
    load: () => import('../commands/plan.js'),
  },
];
