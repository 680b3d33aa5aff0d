/** @module cli/output — the process's stdout/stderr, behind the Output interface. */
import type { Output } from './command.js';

/** Output bound to this process, prefixing diagnostics with `prefix: ` (rkt's convention). */
export function createProcessOutput(prefix: string, debug: boolean): Output {
  const line = (text: string): void => {
    process.stderr.write(`${prefix}: ${text}\n`);
  };
  return {
    stdout: (text) => {
      process.stdout.write(text);
    },
    diag: line,
    debug: (text) => {
      if (debug) line(text);
    },
    warn: (text) => line(`warning: ${text}`),
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    readLine: async (prompt) => {
      const { createInterface } = await import('node:readline');
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
      process.stderr.write(prompt);
      try {
        for await (const answer of rl) return answer;
        return undefined;
      } finally {
        rl.close();
      }
    },
  };
}
