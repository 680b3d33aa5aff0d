/**
 * @module cli/commands/exec-common — what the pod execution commands (`run`, `run-prepared`,
 * `stop`, `enter`, `pod up|down`, `app prepare|cleanup`) share: the runtime context of this
 * process, with the runtime's events printed as diag lines (or only with --debug), with the
 * configured pod network read up front for the commands that create one, and the
 * exact-arity argument checks of the unit-side entry points.
 */
import type { RuntimeContext } from '../../pod/index.js';
import { usageError } from '../../util/index.js';
import type { CommandContext } from '../command.js';
import { runtimeContext } from './store-common.js';

/** The runtime context of this process; `verbose`: events as diag lines instead of debug lines. */
export function execContext(ctx: CommandContext, verbose = false): RuntimeContext {
  return {
    ...runtimeContext(ctx),
    onEvent: (event) => (verbose ? ctx.out.diag(event.message) : ctx.out.debug(event.message)),
  };
}

/**
 * {@link execContext} for the commands that create a pod network (`run`, `run-prepared`,
 * `pod up`): the `network` section of config.yaml is read now, so a bad one fails the command
 * before it changes anything (the teardown commands read it only when a pod recorded none).
 */
export async function networkingContext(ctx: CommandContext, verbose = false): Promise<RuntimeContext> {
  const runtime = execContext(ctx, verbose);
  await runtime.loadNetwork();
  return runtime;
}

/** The positional arguments, exactly `names.length` of them (usage error otherwise). */
export function exactArguments(ctx: CommandContext, names: readonly string[]): string[] {
  const usage = `usage: rocklet ${ctx.command} ${names.join(' ')}`;
  if (ctx.args.length < names.length) {
    throw usageError('ERR_MISSING_ARGUMENT', `missing ${names.slice(ctx.args.length).join(' ')} argument`, { hint: usage });
  }
  if (ctx.args.length > names.length) {
    throw usageError('ERR_TOO_MANY_ARGUMENTS', `too many arguments: expected ${names.length}, got ${ctx.args.length}`, { hint: usage });
  }
  return [...ctx.args];
}
