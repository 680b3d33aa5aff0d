/** @module cli/report-error — how a failure reaches the user: message, hint, cause chain. */
import { EXIT_FAILURE, causeChain, isRockletError } from '../util/index.js';
import type { OutputFormat } from './globals.js';

export interface ErrorReport {
  readonly text: string;
  readonly exitCode: number;
}

function messageOf(error: unknown): string {
  if (isRockletError(error)) return error.message;
  if (error instanceof Error) return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`;
  return String(error);
}

/** Formats `error` for stderr. With `debug`, adds the cause chain (rkt's └─ tree) and stacks of unexpected errors. */
export function formatError(prefix: string, error: unknown, options: { debug: boolean; format: OutputFormat | undefined }): ErrorReport {
  const known = isRockletError(error);
  const exitCode = known ? error.exitCode : EXIT_FAILURE;
  if (options.format === 'json' || options.format === 'json-pretty') {
    const body = {
      error: {
        code: known ? error.code : 'ERR_INTERNAL',
        message: messageOf(error),
        ...(known && error.hint !== undefined ? { hint: error.hint } : {}),
        ...(options.debug ? { causes: causeChain(error).slice(1).map(messageOf) } : {}),
      },
    };
    return { text: `${JSON.stringify(body, null, options.format === 'json-pretty' ? 2 : undefined)}\n`, exitCode };
  }
  const lines = [`${prefix}: ${known ? '' : 'internal error: '}${messageOf(error)}`];
  if (known && error.hint !== undefined) lines.push(`${prefix}: hint: ${error.hint}`);
  if (options.debug) {
    causeChain(error).slice(1).forEach((cause, depth) => {
      lines.push(`${'  '.repeat(depth + 1)}└─ ${messageOf(cause)}`);
    });
    if (!known && error instanceof Error && error.stack !== undefined) lines.push(error.stack);
  } else if (error instanceof Error && error.cause !== undefined) {
    lines.push(`${prefix}: (run with --debug for the cause)`);
  }
  return { text: `${lines.join('\n')}\n`, exitCode };
}
