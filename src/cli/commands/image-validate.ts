/**
 * @module cli/commands/image-validate — `rocklet image validate FILE…`: check image manifests
 * (JSON) and ACIs without importing them. Text output (stdout): `FILE: ok` for a valid file,
 * else one line per problem, `FILE: field.path: message`, or `FILE: what is wrong` when the
 * file is not a readable manifest or archive. `--format json` prints
 * `{valid, files: [{file, valid, kind?, id?, name?, problems: [{path, message}], error?: {code, message}}]}`.
 *
 * Exit codes (like `rocklet validate`): 0 when every file is valid, 1 when any is invalid
 * (an unreadable file is an invalid file), 2 for usage errors, 254 when rocklet itself fails.
 */
import type { CommandHandler } from '../command.js';
import { formatJson, isJsonFormat } from '../render/json.js';
import { expectArguments } from './image-common.js';
import type { FileVerdict } from './image-validate-file.js';
import { validateImageFile } from './image-validate-file.js';

/** Exit code when at least one file is invalid (distinct from rocklet's own failure, 254). */
export const EXIT_INVALID = 1;

function verdictLines(verdict: FileVerdict): string[] {
  if (verdict.valid) return [`${verdict.file}: ok`];
  const lines = verdict.problems.map((problem) => `${verdict.file}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`);
  if (verdict.error !== undefined) lines.push(...verdict.error.message.split('\n').map((line) => `${verdict.file}: ${line}`));
  return lines;
}

export const handler: CommandHandler = async (ctx) => {
  const files = expectArguments(ctx, { names: ['FILE'], variadic: true });
  const verdicts: FileVerdict[] = [];
  for (const file of files) verdicts.push(await validateImageFile(file, ctx.signal));
  const valid = verdicts.every((verdict) => verdict.valid);
  if (isJsonFormat(ctx.globals.format)) ctx.out.stdout(formatJson({ valid, files: verdicts }, ctx.globals.format));
  else ctx.out.stdout(verdicts.flatMap(verdictLines).map((line) => `${line}\n`).join(''));
  return valid ? 0 : EXIT_INVALID;
};
