/**
 * @module cli/commands/host — `rocklet host start|stop|status`: the daemon on a machine whose
 * PID 1 is not systemd, in rocklet's own private systemd (src/host/host-mode.ts).
 */
import { hostLocation, hostStatus, startHost, stopHost } from '../../host/index.js';
import type { HostStatus } from '../../host/index.js';
import { parseDuration } from '../../util/index.js';
import { CODE_CACHE_ENV } from '../code-cache.js';
import type { CommandContext, CommandHandler } from '../command.js';
import { withActivity } from '../render/activity.js';
import { formatJson, isJsonFormat } from '../render/json.js';
import { expectArguments } from './image-common.js';

function describe(status: HostStatus): string {
  if (status.state === 'stopped') {
    return `private systemd: stopped${status.stale === true ? ' (a crashed one\'s record was found; `rocklet host start` clears it)' : ''}\nstate dir: ${status.dir}\n`;
  }
  return [
    `private systemd: running (pid ${String(status.pid)}, ${String(status.mode)} cgroups${status.privateNetwork === true ? ', own network namespace' : ''})`,
    `rocklet.service: ${String(status.daemon)}`,
    `bus: ${String(status.busAddress)}`,
    `state dir: ${status.dir}${status.stateDirMissing === true ? ' (MISSING: deleted while it runs; `rocklet host stop` stops it cleanly, then start it again)' : ''}`,
    '',
  ].join('\n');
}

function print(ctx: CommandContext, status: HostStatus): void {
  ctx.out.stdout(isJsonFormat(ctx.globals.format) ? formatJson(status, ctx.globals.format) : describe(status));
}

export const start: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const podDir = ctx.flags.string('pod-dir');
  const timeout = ctx.flags.string('timeout');
  const self = [process.execPath, process.argv[1] ?? ''];
  const daemonArgv = [
    ...self, `--dir=${ctx.globals.dir}`, `--config-dir=${ctx.globals.configDir}`, 'daemon', ...(podDir === undefined ? [] : [`--pod-dir=${podDir}`]),
  ];
  ctx.out.diag('booting the private systemd and rocklet.service in it');
  const codeCache = ctx.env[CODE_CACHE_ENV];
  const status = await withActivity(ctx.out, 'waiting for rocklet.service to report READY (its first reconcile)', () => startHost(hostLocation(ctx.env), {
    daemonArgv,
    // The daemon is this same CLI: it keeps its code cache where this one's is (code-cache.ts).
    ...(codeCache === undefined ? {} : { daemonEnvironment: { [CODE_CACHE_ENV]: codeCache } }),
    privateNetwork: ctx.flags.boolean('private-network'),
    ...(timeout === undefined ? {} : { timeoutMs: parseDuration(timeout) }),
  }));
  print(ctx, status);
  return 0;
};

export const stop: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const timeout = ctx.flags.string('timeout');
  const stopped = await withActivity(ctx.out, 'stopping the pods (each within its grace period) and the private systemd',
    () => stopHost(hostLocation(ctx.env), timeout === undefined ? {} : { graceMs: parseDuration(timeout) }));
  ctx.out.diag(stopped ? 'stopped the private systemd and its pods' : 'the private systemd was not running');
  return 0;
};

export const status: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const current = await hostStatus(hostLocation(ctx.env));
  print(ctx, current);
  return current.state === 'running' ? 0 : 3;
};
