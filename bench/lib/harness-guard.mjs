// For benches that boot test systemds: their `finally` must run whatever happens to stdout.
// Piping a bench into `head` closes stdout early; the EPIPE of the next console.log would be an
// uncaught exception that ends the process without its cleanup (the instance's cgroups stayed
// behind once). Leftovers of benches that died anyway (kill -9) are swept first, as
// scripts/run-tests.mjs does: only harness-prefixed resources of dead processes.
import { sweepStaleHarnessResources } from '../../dist/test/harness/index.js';

/** Ignore EPIPE on stdout (the reader went away; the bench still cleans up), then sweep stale leftovers. */
export async function guardHarnessBench() {
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
  for (const what of await sweepStaleHarnessResources()) console.error(`bench: removed stale ${what}`);
}
