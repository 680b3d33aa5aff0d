// For benches that boot test systemds: their `finally` must run whatever happens to stdout.
// Piping a bench into `head` closes stdout early; the EPIPE of the next console.log would be an
// uncaught exception that ends the process without its cleanup (the instance's cgroups stayed
// behind once). Leftovers of benches that died anyway (kill -9) are swept first, as
// scripts/run-tests.mjs does: only harness-prefixed resources of dead processes.
import { sweepStaleHarnessResources } from '../../dist/test/harness/index.js';
import { useBenchCodeCache } from './code-cache-dir.mjs';

/**
 * Ignore EPIPE on stdout (the reader went away; the bench still cleans up), keep the CLI's code
 * cache in a directory of the bench's own (as scripts/run-tests.mjs does for tests: a bench is
 * not an installation, and root's default is /var/cache/rocklet), then sweep stale leftovers.
 */
export async function guardHarnessBench() {
  useBenchCodeCache();
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
  for (const what of await sweepStaleHarnessResources()) console.error(`bench: removed stale ${what}`);
}
