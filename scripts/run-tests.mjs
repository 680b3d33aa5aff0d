#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in runner.
// Listing files explicitly keeps helper modules under test/ from being run as tests.
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern=...).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function collect(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return collect(full);
    return name.endsWith('.test.js') ? [full] : [];
  });
}

const only = process.env.ROCKLET_TEST_DIRS?.split(',').filter(Boolean);
const roots = only?.length ? only.map((d) => path.join('dist/test', d)) : ['dist/test'];
const files = roots.flatMap(collect);
if (files.length === 0) {
  console.error('run-tests: no test files found under', roots.join(', '), '(did the build run?)');
  process.exit(1);
}
// Leftovers of earlier runs whose runner died (crash, kill -9): only harness-prefixed
// resources of dead runners are removed, so concurrent runs are never disturbed.
if (process.getuid?.() === 0) {
  const { sweepStaleHarnessResources } = await import('../dist/test/harness/index.js');
  const removed = await sweepStaleHarnessResources();
  for (const what of removed) console.error(`run-tests: removed stale ${what}`);
}
// TAP goes to stdout as before; the failed tests are also collected apart and printed once
// the run is over, so the last lines of a long log say what failed.
const summaryDir = mkdtempSync(path.join(os.tmpdir(), 'rocklet-test-summary-'));
// The CLI's V8 code cache (src/cli/code-cache.ts) for every rocklet the tests start, the
// daemon's units included, instead of the machine's /var/cache/rocklet/code.
const codeCacheDir = mkdtempSync(path.join(os.tmpdir(), 'rocklet-test-code-cache-'));
const summaryFile = path.join(summaryDir, 'failures.txt');
const reporter = new URL('./failure-summary.mjs', import.meta.url).pathname;
const result = spawnSync(
  process.execPath,
  [
    '--test', '--test-concurrency=2', '--test-timeout=600000',
    '--test-reporter=tap', '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`, `--test-reporter-destination=${summaryFile}`,
    ...process.argv.slice(2), ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, ROCKLET_CODE_CACHE: process.env.ROCKLET_CODE_CACHE ?? codeCacheDir } },
);
try {
  const summary = readFileSync(summaryFile, 'utf8');
  if (summary) process.stdout.write(summary);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
} finally {
  rmSync(summaryDir, { recursive: true, force: true });
  rmSync(codeCacheDir, { recursive: true, force: true });
}
process.exit(result.status ?? 1);
