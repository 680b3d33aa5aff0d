/**
 * @module cli/commands/logs — `rocklet logs POD|FILE|UUID [-c APP] [-f] [--tail=N]
 * [--since=DURATION|TIME] [--timestamps] [--previous]`: what a pod's app printed, stdout and
 * stderr together, with kubectl's flags. Unit pods (the daemon's, pods run as units) are read
 * from the journal (cli/logs/journal-logs.ts), standalone pods (`run`, `run-prepared`) from
 * their per-app log files (cli/logs/file-logs.ts); which pod the argument names:
 * cli/logs/target.ts. Exit 0 when the output ended (with -f: the pod is gone), 2 for bad flags,
 * 254 when there is nothing to show (unknown pod, not started, no previous run).
 */
import path from 'node:path';
import { DEFAULT_RUN_DIR } from '../../daemon/index.js';
import type { SystemdManager } from '../../systemd/index.js';
import { connectSystemd } from '../../systemd/index.js';
import type { CommandHandler } from '../command.js';
import { printFileLogs } from '../logs/file-logs.js';
import { printJournalLogs } from '../logs/journal-logs.js';
import { logsOptions } from '../logs/options.js';
import { LineSink } from '../logs/sink.js';
import { resolveLogTarget } from '../logs/target.js';
import { exactArguments } from './exec-common.js';
import { storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  const [arg = ''] = exactArguments(ctx, ['POD|FILE|UUID']);
  const options = logsOptions(ctx.flags, Date.now());
  const store = storeOf(ctx);
  let manager: SystemdManager | undefined;
  let connecting: Promise<SystemdManager | undefined> | undefined;
  // systemd is asked only when the pod is not found otherwise, or to read a unit's invocation.
  const connect = (): Promise<SystemdManager | undefined> => {
    connecting ??= connectSystemd().then((connected) => {
      manager = connected;
      return connected;
    }, (error: unknown) => {
      ctx.out.debug(`cannot ask systemd: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
    return connecting;
  };
  try {
    const target = await resolveLogTarget({ arg, app: options.app, store, runDir: path.resolve(ctx.flags.string('run-dir') ?? DEFAULT_RUN_DIR), connect });
    if (target.defaulted !== undefined) ctx.out.diag(`defaulted app "${target.app}" out of: ${target.defaulted.apps.join(', ')} (choose one with -c APP)`);
    const sink = new LineSink(process.stdout, options.timestamps);
    if (target.supervisor === 'standalone') {
      await printFileLogs(target, options, store, sink, ctx.signal);
    } else {
      await printJournalLogs(target, options, { store, sink, out: ctx.out, signal: ctx.signal, manager: await connect() });
    }
    return 0;
  } finally {
    await manager?.close();
  }
};
