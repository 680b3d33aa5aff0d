#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in runner.
// Listing files explicitly keeps helper modules under test/ from being run as tests.
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern=...).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=600000', ...process.argv.slice(2), ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
