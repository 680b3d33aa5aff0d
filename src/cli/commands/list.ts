/**
 * @module cli/commands/list — `rocklet list [--full] [--no-legend] [--format=json|json-pretty]`
 * (rkt.md §1.7): every pod, one row per app (see cli/render/pods for the columns and JSON).
 * A pod that cannot be read does not fail the listing: its error is a warning after the table
 * (rkt printed such errors after the table too), and the exit code stays 0.
 */
import { listPods } from '../../pod/index.js';
import type { CommandHandler } from '../command.js';
import { errorLines } from '../render/item-errors.js';
import { formatJson, isJsonFormat } from '../render/json.js';
import { podJson, renderPodTable } from '../render/pods.js';
import { expectArguments } from './image-common.js';
import { storeOf } from './store-common.js';

export const handler: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const { pods, errors } = await listPods(storeOf(ctx));
  const format = ctx.globals.format;
  if (isJsonFormat(format)) {
    ctx.out.stdout(formatJson(pods.map(podJson), format));
  } else {
    ctx.out.stdout(renderPodTable(pods, { full: ctx.flags.boolean('full'), legend: !ctx.flags.boolean('no-legend'), now: new Date() }));
  }
  for (const { uuid, error } of errors) {
    const [first = '', ...rest] = errorLines(error, ctx.globals.debug);
    ctx.out.warn(`pod "${uuid}": ${first}`);
    for (const line of rest) ctx.out.diag(`  ${line}`);
  }
  return 0;
};
