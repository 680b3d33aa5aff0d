// The CLI's code cache of a bench: a directory of its own, removed at exit (as
// scripts/run-tests.mjs does for tests). A bench is not an installation, and root's default
// cache is /var/cache/rocklet/code. A ROCKLET_CODE_CACHE already set is kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function useBenchCodeCache() {
  if (process.env.ROCKLET_CODE_CACHE !== undefined) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'rocklet-bench-code-'));
  process.env.ROCKLET_CODE_CACHE = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}
