/**
 * @module cli/render/activity — a "still working" line for a long wait on a terminal:
 * `<label> (12 s)`, redrawn every second and cleared when the work ends. Off a terminal it draws
 * nothing (the command's diagnostic line already says what runs, and logs stay clean).
 */
import type { Output } from '../command.js';

/** Runs `work` with the activity line on stderr while it lasts; returns what `work` returns. */
export async function withActivity<T>(
  out: Output,
  label: string,
  work: () => Promise<T>,
  options: { readonly write?: (text: string) => void; readonly everyMs?: number } = {},
): Promise<T> {
  if (!out.stderrIsTTY) return work();
  const write = options.write ?? ((text: string): void => void process.stderr.write(text));
  const started = Date.now();
  const draw = (): void => write(`\r\x1b[K${label} (${Math.floor((Date.now() - started) / 1000)} s)`);
  draw();
  const timer = setInterval(draw, options.everyMs ?? 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    write('\r\x1b[K');
  }
}
