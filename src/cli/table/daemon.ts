/** @module cli/table/daemon — the declarative side: pod files and the daemon. */
import type { CommandSpec } from '../command.js';

export const DAEMON_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'daemon', summary: 'watch the pod directory and keep its pods running as systemd units', usage: '[flags]',
    flags: [
      { name: 'pod-dir', kind: 'string', valueName: 'DIR', defaultText: '/etc/pods', help: 'directory of pod files' },
      { name: 'resync-interval', kind: 'string', valueName: 'DURATION', defaultText: '1m', help: 'full reconcile period' },
    ],
  },
  { name: 'pods', summary: 'show every pod file and the state of its pod', usage: '[flags]' },
  {
    name: 'validate', summary: 'check pod files without running them', usage: '[flags] FILE...',
    description: 'Prints "FILE: ok" or every error as FILE:LINE:COL: field.path: message.\n'
      + 'Exit codes: 0 when every file is valid, 1 when any is invalid, 2 for usage errors, 254 when rocklet fails.',
    flags: [{ name: 'print', kind: 'boolean', help: 'print the normalised pod spec rocklet would run (one FILE)' }],
    load: () => import('../commands/validate.js'),
  },
  { name: 'plan', summary: 'show what the daemon would change, without changing it', usage: '[flags]' },
];
