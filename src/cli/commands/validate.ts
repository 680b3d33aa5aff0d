/**
 * @module cli/commands/validate — `rocklet validate FILE…`: checks pod files without running
 * anything. Text output (stdout): `FILE: ok` per valid file, else one line per error
 * `FILE:LINE:COL: field.path: message`; warnings go to stderr. `--format json` prints one
 * object `{valid, files: [{file, valid, pod?, specHash?, errors, warnings}]}`. `--print FILE`
 * prints the normalised PodSpec (what rocklet would run) as JSON: references to ConfigMaps and
 * Secrets, never their values. A reference to an object that neither the file nor
 * `<config-dir>/configmaps|secrets/` holds is an error (unless optional); `specHash` is the
 * effective hash the daemon compares (spec + referenced objects).
 *
 * Exit codes: 0 when every file is valid, 1 when any file is invalid (an unreadable file is an
 * invalid file, with the errno in its message), 2 for usage errors, 254 when rocklet itself
 * fails.
 */
import { hostname } from 'node:os';
import type { ConfigLookup, Diagnostic, PodFileResult } from '../../podfile/index.js';
import { bindPodFileResult, formatDiagnostic, podConfigRefs, readPodFile, readSharedConfigObjects } from '../../podfile/index.js';
import { usageError } from '../../util/index.js';
import type { CommandContext, CommandHandler } from '../command.js';

/** Exit code when at least one file is invalid (distinct from rocklet's own failure, 254). */
export const EXIT_INVALID = 1;

function diagnosticJson(diagnostic: Diagnostic): Record<string, unknown> {
  const { file: _file, ...rest } = diagnostic;
  return rest;
}

function resultJson(result: PodFileResult): Record<string, unknown> {
  return {
    file: result.file,
    valid: result.ok,
    ...(result.identity === undefined ? {} : { pod: result.identity }),
    ...(result.ok ? { specHash: result.hash } : {}),
    errors: result.ok ? [] : result.errors.map(diagnosticJson),
    warnings: result.warnings.map(diagnosticJson),
  };
}

function printText(ctx: CommandContext, result: PodFileResult): void {
  // Warnings go to stderr as `validate: warning: FILE:LINE:COL: path: message` (the frame's prefix).
  for (const warning of result.warnings) ctx.out.warn(formatDiagnostic(warning, { showSeverity: false }));
  if (result.ok) ctx.out.stdout(`${result.file}: ok\n`);
  else ctx.out.stdout(result.errors.map((error) => `${formatDiagnostic(error)}\n`).join(''));
}

function stringify(ctx: CommandContext, value: unknown): string {
  return `${JSON.stringify(value, null, ctx.globals.format === 'json' ? undefined : 2)}\n`;
}

export const handler: CommandHandler = async (ctx) => {
  const files = ctx.args;
  if (files.length === 0) {
    throw usageError('ERR_MISSING_ARGUMENT', 'validate needs at least one pod file', { hint: 'rocklet validate /etc/pods/*.yaml' });
  }
  const print = ctx.flags.boolean('print');
  if (print && files.length !== 1) throw usageError('ERR_TOO_MANY_ARGUMENTS', `--print takes exactly one file, got ${files.length}`);
  const options = { nodeName: hostname() };
  const results: PodFileResult[] = [];
  // Bound to the ConfigMaps and Secrets beside each pod and in <config-dir>: a missing one is an error, as in the daemon.
  let shared: ConfigLookup | undefined;
  for (const file of files) {
    const result = await readPodFile(file, options);
    if (result.ok && podConfigRefs(result.spec).length > 0) shared ??= await readSharedConfigObjects(ctx.globals.configDir);
    results.push(shared === undefined ? result : bindPodFileResult(result, shared));
  }
  const json = ctx.globals.format === 'json' || ctx.globals.format === 'json-pretty';
  const [first] = results;
  if (print && first !== undefined && first.ok) {
    for (const warning of first.warnings) ctx.out.warn(formatDiagnostic(warning, { showSeverity: false }));
    ctx.out.stdout(stringify(ctx, first.spec));
    return 0;
  }
  if (json) {
    ctx.out.stdout(stringify(ctx, { valid: results.every((r) => r.ok), files: results.map(resultJson) }));
  } else {
    for (const result of results) printText(ctx, result);
  }
  return results.every((result) => result.ok) ? 0 : EXIT_INVALID;
};
