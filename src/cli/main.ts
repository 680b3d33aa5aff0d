#!/usr/bin/env node
/**
 * @module cli/main — the `rocklet` executable: wires the process (argv, signals,
 * stdout/stderr) to runCli and sets the exit code. Imports only the light CLI frame;
 * commands load their implementations lazily.
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

const code = await runCli(process.argv.slice(2), {
  output: createProcessOutput,
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
  env: process.env,
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
process.exitCode = code;
