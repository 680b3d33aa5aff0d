/**
 * @module cli/commands/daemon — `rocklet daemon [--pod-dir=DIR] [--resync-interval=D] [--once]`:
 * keep the pod directory's pods running as transient systemd units (src/daemon). Logs one
 * structured line per decision on stdout (the journal under systemd; human-readable on a TTY).
 * Tells systemd READY=1 (Type=notify) after the first full reconcile; SIGHUP re-reads config.yaml's
 * fetch settings, retries failed pulls at once and resyncs; SIGTERM
 * stops the daemon and leaves every pod running. `--once` reconciles once and exits.
 */
import path from 'node:path';
import { Daemon, DEFAULT_RUN_DIR, loadDaemonSettings, loadGcSettings } from '../../daemon/index.js';
import { loadFetchSettings } from '../../image/index.js';
import { sdNotify } from '../../util/index.js';
import { CODE_CACHE_ENV } from '../code-cache.js';
import type { CommandHandler } from '../command.js';
import { createDaemonLog } from '../daemon/log.js';
import { findProgram, unitRockletArgv } from '../daemon/units.js';
import { expectArguments } from './image-common.js';
import { requireRoot, runtimeContext } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  requireRoot();
  const settings = await loadDaemonSettings(ctx.globals.configDir, { podDir: ctx.flags.string('pod-dir'), resyncInterval: ctx.flags.string('resync-interval') });
  const fetchSettings = await loadFetchSettings(ctx.globals.configDir);
  const gc = await loadGcSettings(ctx.globals.configDir);
  const { log } = await createDaemonLog(ctx.globals.debug);
  const notifySocket = ctx.env.NOTIFY_SOCKET;
  const codeCache = ctx.env[CODE_CACHE_ENV];
  const daemon = new Daemon({
    settings,
    runtime: { ...runtimeContext(ctx), onEvent: (event) => log.debug({}, event.message) },
    runDir: path.resolve(ctx.flags.string('run-dir') ?? DEFAULT_RUN_DIR),
    fetchSettings,
    reloadFetchSettings: () => loadFetchSettings(ctx.globals.configDir),
    gc,
    rocklet: unitRockletArgv(ctx.globals),
    // Units run this same CLI: they keep its code cache where the daemon's is (code-cache.ts).
    ...(codeCache === undefined ? {} : { unitEnvironment: { [CODE_CACHE_ENV]: codeCache } }),
    crun: await findProgram('crun', ctx.env.PATH),
    log,
    signal: ctx.signal,
    onReady: (summary) => {
      if (notifySocket !== undefined && notifySocket !== '') sdNotify(notifySocket, `READY=1\nSTATUS=${summary}\nMAINPID=${process.pid}`);
    },
  });
  const onHangup = (): void => daemon.resync();
  process.on('SIGHUP', onHangup);
  try {
    await daemon.run(ctx.flags.boolean('once'));
  } finally {
    process.off('SIGHUP', onHangup);
  }
  return 0;
};
