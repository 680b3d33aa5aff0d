/**
 * @module cli/commands/plan — `rocklet plan [--pod-dir=DIR] [--machine=FILE] [--detailed-exitcode]`:
 * what the daemon would do now (start, update with the changed fields, stop, adopt, keep, skip,
 * reject, invalid), computed by the daemon's own admission and planner, changing nothing.
 * `--fresh` plans for a machine that runs nothing yet, reading neither systemd, the daemon's
 * records nor file owners: what a machine with `--machine` labels would run from a bundle.
 * Exit codes: 0; with --detailed-exitcode 0 when nothing would change and 2 when something
 * would (terraform's convention); 254 when rocklet fails.
 */
import { hostname } from 'node:os';
import { AppliedRecords, computePlan, loadDaemonSettings, loadMachineLabels } from '../../daemon/index.js';
import { connectSystemd } from '../../systemd/index.js';
import { CURRENT_MOUNT_NAMESPACE, availableControllers } from '../../pod/index.js';
import { unavailable } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { formatJson, isJsonFormat } from '../render/json.js';
import { formatColumns } from '../render/table.js';
import { expectArguments } from './image-common.js';

export const handler: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const settings = await loadDaemonSettings(ctx.globals.configDir, { podDir: ctx.flags.string('pod-dir') });
  const labels = await loadMachineLabels(ctx.globals.configDir, ctx.flags.string('machine'));
  let plan;
  if (ctx.flags.boolean('fresh')) {
    // A machine that runs nothing: every admitted file would start. Its hostname is the one its
    // machine file gives (spec.nodeName), or this one's.
    const nodeName = labels['kubernetes.io/hostname'] ?? hostname();
    // The records are not loaded: a fresh machine has none.
    const applied = new AppliedRecords(ctx.globals.dir);
    plan = await computePlan({ podDir: settings.podDir, labels, manager: undefined, applied, dataDir: ctx.globals.dir, nodeName, checkOwner: false, configDir: ctx.globals.configDir });
  } else {
    const applied = await new AppliedRecords(ctx.globals.dir).load();
    const manager = await connectSystemd().catch((error: unknown) => {
      // Said here because a bundle checked in CI is the usual way to meet a missing bus.
      throw unavailable('ERR_PLAN_NO_SYSTEMD', `cannot read what runs here: ${(error as Error).message}`, {
        hint: 'to plan a bundle for a new machine without systemd: rocklet plan --fresh --pod-dir=DIR --machine=FILE',
        cause: error,
      });
    });
    try {
      plan = await computePlan({
        podDir: settings.podDir, labels, manager, applied, dataDir: ctx.globals.dir, configDir: ctx.globals.configDir,
        controllers: await availableControllers(CURRENT_MOUNT_NAMESPACE),
      });
    } finally {
      await manager.close();
    }
  }
  const format = ctx.globals.format;
  if (isJsonFormat(format)) {
    ctx.out.stdout(formatJson({ podDir: settings.podDir, changes: plan.changing, entries: plan.entries }, format));
  } else if (plan.entries.length === 0) {
    ctx.out.stdout(`no pod files in ${settings.podDir} and no pod units: nothing to do\n`);
  } else {
    const rows = plan.entries.map((e) => [e.action, e.file ?? '-', e.pod ?? '-', e.reason ?? '']);
    const table = formatColumns([['ACTION', 'FILE', 'POD', 'REASON'], ...rows]).split('\n');
    const out: string[] = [table[0] ?? ''];
    plan.entries.forEach((entry, i) => {
      out.push(table[i + 1] ?? '');
      for (const change of entry.changes ?? []) out.push(`    ~ ${change}`);
    });
    ctx.out.stdout(`${out.join('\n')}\n${plan.changing === 0 ? 'no changes' : `${plan.changing} change${plan.changing === 1 ? '' : 's'}`}\n`);
  }
  return ctx.flags.boolean('detailed-exitcode') && plan.changing > 0 ? 2 : 0;
};
