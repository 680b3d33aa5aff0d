/**
 * @module cli/main — the `rocklet` executable: wires the process (argv, signals,
 * stdout/stderr) to runCli and sets the exit code. Imports only the light CLI frame;
 * commands load their implementations lazily. No top-level await: the bundle that ships it is
 * CommonJS (launch.ts says why); a rejection of runCli stays unhandled, so Node reports it
 * and exits non-zero, as it would for a top-level await.
 */
import { runCli } from './dispatch.js';
import { createProcessOutput } from './output.js';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  interrupts++;
  // A second signal means the user does not want to wait for a graceful stop.
  if (interrupts > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
  controller.abort(new Error(`interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

void runCli(process.argv.slice(2), {
  output: createProcessOutput,
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
  env: process.env,
}).then((code) => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
});
