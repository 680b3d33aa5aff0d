/**
 * @module cli/table — every command rocklet knows, as metadata plus lazy loaders.
 * A command without `load` is listed and has help, but exits 254 "not implemented yet".
 */
import type { CommandSpec } from '../command.js';
import { DAEMON_COMMANDS } from './daemon.js';
import { HOST_COMMANDS, HOST_ROUTED_COMMANDS } from './host.js';
import { IMAGE_COMMAND } from './images.js';
import { POD_COMMANDS, UNIT_SIDE_COMMANDS } from './pods.js';
import { SHELL_COMMANDS } from './shell.js';

const VERSION_COMMAND: CommandSpec = {
  name: 'version', summary: 'print the version of rocklet and what it supports', usage: '[flags]',
  load: () => import('../commands/version.js'),
};

export const ROOT_COMMAND: CommandSpec = {
  name: 'rocklet',
  summary: 'declarative pods on one Linux host',
  usage: '[global flags] COMMAND [flags] [args]',
  description: 'rocklet runs pods (one or more apps sharing network, IPC and UTS namespaces) from ACI and OCI images,\n'
    + 'standalone like rkt or declaratively from pod files in /etc/pods under systemd.',
  subcommands: [...POD_COMMANDS, IMAGE_COMMAND, ...DAEMON_COMMANDS, ...HOST_COMMANDS, ...UNIT_SIDE_COMMANDS, VERSION_COMMAND, ...SHELL_COMMANDS]
    .map((spec) => (HOST_ROUTED_COMMANDS.has(spec.name) ? { ...spec, runsInHost: true } : spec)),
  // `rocklet --version` is `rocklet version` (dispatch.ts).
  flags: [{ name: 'version', kind: 'boolean', help: 'print the version (as "rocklet version") and exit' }],
};
