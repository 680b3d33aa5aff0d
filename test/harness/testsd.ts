/**
 * @module harness/testsd — a private, isolated systemd for one test file: the host layer's
 * `bootPrivateSystemd` (src/host/boot.ts) with the harness's names (`testsd-rl-<runnerpid>-<n>`,
 * dirs under /tmp/rocklet-test/sd, names.ts) and lifetime `process`, so a killed test runner
 * takes the instance with it and `sweepStaleHarnessResources` finds what a crash left.
 */
import { join } from 'node:path';
import { bootPrivateSystemd } from '../../src/host/index.js';
import type { CgroupMode, PrivateSystemd } from '../../src/host/index.js';
import { INSTANCE_ROOT, newInstanceName } from './names.js';

export { resolveCgroupMode, systemState } from '../../src/host/index.js';
export type { CgroupMode } from '../../src/host/index.js';
export { sweepStaleHarnessResources } from './sweep.js';

/** A private systemd booted for a test file. */
export type TestSystemd = PrivateSystemd;

/** Options of {@link bootTestSystemd}. */
export interface TestBootOptions {
  /** 'auto' (default): hybrid where v1 controllers are mounted (limits enforced), else unified. */
  mode?: CgroupMode | 'auto';
  /** Give the instance its own network namespace (only `lo`). */
  privateNetwork?: boolean;
  /** Give up booting after this long (default 30 s). */
  timeoutMs?: number;
}
export type { TestBootOptions as BootOptions };

/** Boots a test systemd; resolves once its SystemState is running or degraded. */
export function bootTestSystemd(opts: TestBootOptions = {}): Promise<TestSystemd> {
  const name = newInstanceName();
  return bootPrivateSystemd({
    dir: join(INSTANCE_ROOT, name),
    name,
    lifetime: 'process',
    container: 'rocklet-testsd',
    ...(opts.mode === undefined ? {} : { mode: opts.mode }),
    ...(opts.privateNetwork === undefined ? {} : { privateNetwork: opts.privateNetwork }),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  });
}
