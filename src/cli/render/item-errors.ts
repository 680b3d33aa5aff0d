/**
 * @module cli/render/item-errors — the lines of a failure that does not end the command:
 * commands acting on several items (`image rm A B C`, `stop UUID…`) report one item's error,
 * go on with the others, and exit 254 at the end. Same text as a fatal error (cli/report-error),
 * minus the command prefix, which `Output.diag` adds.
 */
import { causeChain, isRockletError } from '../../util/index.js';

function messageOf(error: unknown): string {
  if (isRockletError(error)) return error.message;
  if (error instanceof Error) return `internal error: ${error.message}`;
  return `internal error: ${String(error)}`;
}

/**
 * The message (each line of a multi-line one), then `hint: …` when the error has one, then with
 * `debug` its cause chain (`└─ …`).
 */
export function errorLines(error: unknown, debug = false): string[] {
  const lines = messageOf(error).split('\n');
  if (isRockletError(error) && error.hint !== undefined) lines.push(`hint: ${error.hint}`);
  if (debug) {
    causeChain(error).slice(1).forEach((cause, depth) => {
      lines.push(`${'  '.repeat(depth + 1)}└─ ${cause instanceof Error ? cause.message : String(cause)}`);
    });
  }
  return lines;
}
