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
    readLine: async (prompt, options) => {
      if (options?.secret === true && process.stdin.isTTY) return readHidden(prompt);
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

/**
 * One line from the terminal without echo (raw mode: each key arrives as typed; Backspace
 * edits, Enter ends, Ctrl-C or Ctrl-D on an empty line gives undefined). The terminal is
 * restored whatever happens.
 */
function readHidden(prompt: string): Promise<string | undefined> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  let typed: string[] = [];
  return new Promise((resolve) => {
    const finish = (answer: string | undefined): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      resolve(answer);
    };
    const onEnd = (): void => finish(undefined);
    const onData = (chunk: Buffer | string): void => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish(typed.join(''));
        if (char === '\u0003' || (char === '\u0004' && typed.length === 0)) return finish(undefined);
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (char >= ' ') typed.push(char);
      }
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
