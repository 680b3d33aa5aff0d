/** @module cli/table/host — the daemon where PID 1 is not systemd: `rocklet host`, and the systemd tools passed through. */
import type { CommandSpec } from '../command.js';

const TIMEOUT = { name: 'timeout', kind: 'string', valueName: 'DURATION', help: 'give up (start) / kill what still runs (stop) after this long' } as const;

export const HOST_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'host', summary: 'run the daemon in rocklet\'s own systemd where PID 1 is not systemd', usage: 'start|stop|status [flags]',
    description: 'On machines whose PID 1 is not systemd (containers, CI runners, WSL), rocklet boots a private systemd in its own\n'
      + 'PID and mount namespaces and runs rocklet.service in it. /etc, /var and the network are the machine\'s (so /etc/pods\n'
      + 'is the same directory); its state and D-Bus socket are under /run/rocklet/host (ROCKLET_HOST_DIR moves them).\n'
      + 'While it runs, the pod commands (pods, run, list, status, enter, stop, rm, gc, ...) run inside it.',
    subcommands: [
      {
        name: 'start', summary: 'boot the private systemd and rocklet.service; returns when the daemon is READY', usage: '[flags]',
        flags: [
          { name: 'pod-dir', kind: 'string', valueName: 'DIR', defaultText: '/etc/pods', help: 'directory of pod files for the daemon' },
          { name: 'private-network', kind: 'boolean', help: 'give it a network namespace of its own (only lo; for tests)' },
          TIMEOUT,
        ],
        load: () => import('../commands/host-start.js'),
      },
      {
        name: 'stop', summary: 'stop every pod as at a shutdown, then the private systemd; removes its cgroups and state', usage: '[flags]',
        flags: [TIMEOUT],
        load: () => import('../commands/host-stop.js'),
      },
      {
        name: 'status', summary: 'show whether the private systemd and rocklet.service run (exit 3 when stopped)', usage: '[flags]',
        load: () => import('../commands/host-status.js'),
      },
    ],
  },
  {
    name: 'systemctl', summary: 'systemctl against the systemd that runs the pods (the private one where PID 1 is not systemd)', usage: 'ARGS...',
    passThrough: true,
    load: () => import('../commands/systemctl.js'),
  },
  {
    name: 'journalctl', summary: 'journalctl of the systemd that runs the pods (the private one where PID 1 is not systemd)', usage: 'ARGS...',
    passThrough: true,
    load: () => import('../commands/journalctl.js'),
  },
];

/** Commands that run inside the private systemd when one runs here (cli/host-route.ts). */
export const HOST_ROUTED_COMMANDS: ReadonlySet<string> = new Set([
  'pods', 'run', 'prepare', 'run-prepared', 'list', 'status', 'stop', 'enter', 'rm', 'gc', 'export', 'cat-manifest', 'logs',
]);
