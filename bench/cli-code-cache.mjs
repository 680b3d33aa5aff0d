// How much the CLI's code cache (src/cli/launch.ts, code-cache.ts) saves: the same build with its
// cache and with ROCKLET_CODE_CACHE=off, and optionally another build (--baseline=…/main.js, e.g.
// the last commit before the launcher, built in a scratch worktree), side by side.
// Usage: npm run build && node bench/cli-code-cache.mjs [runs=20] [--baseline=PATH/dist/rocklet/main.js]   (root, crun)
//
// Commands, each timed spawn to exit by a Node process inside one private test systemd (as
// pod-run.mjs does), variants rotating every round, `rocklet gc --grace-period=0s` between rounds:
//   run      `rocklet run --net=none bench.rocklet/true:1.0.0` (an ACI of busybox /bin/true): the
//            whole CLI path of a pod that runs and exits
//   list     `rocklet list` of the store (a few exited pods)
//   version  `rocklet version`, the CLI's floor
// plus `node -e 0` for scale. The cache directory is warmed by one run of each command first.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeFixture } from '../dist/test/pod/runtime/fixture.js';
import { ALTERNATING_RUNNER, median } from './lib/alternating.mjs';
import { TRUE_IMAGE, fetchTrueImage } from './lib/true-image.mjs';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();
const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 20);
const baseline = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const CLI = fileURLToPath(new URL('../dist/rocklet/main.js', import.meta.url));

const fx = await RuntimeFixture.create('bench-code-cache');
try {
  await fetchTrueImage(fx);
  const cacheDir = path.join(fx.tmp.path, 'code-cache');
  await mkdir(cacheDir, { mode: 0o700 });
  const builds = {
    cache: ['env', `ROCKLET_CODE_CACHE=${cacheDir}`, process.execPath, CLI, '--dir', fx.dataDir],
    'no cache': ['env', 'ROCKLET_CODE_CACHE=off', process.execPath, CLI, '--dir', fx.dataDir],
    ...(baseline === undefined ? {} : { baseline: ['env', 'ROCKLET_CODE_CACHE=off', process.execPath, baseline, '--dir', fx.dataDir] }),
  };
  const commands = { run: ['run', '--net=none', TRUE_IMAGE], list: ['list'], version: ['version'] };
  for (const args of Object.values(commands)) {
    const warmed = await fx.sd.exec([...builds.cache, ...args]);
    if (warmed.code !== 0) throw new Error(`warming the cache: ${warmed.stderr}`);
  }
  const variants = { 'node -e 0': [process.execPath, '-e', '0'] };
  for (const [command, args] of Object.entries(commands)) {
    for (const [build, argv] of Object.entries(builds)) variants[`${command}, ${build}`] = [...argv, ...args];
  }
  const inner = path.join(fx.tmp.path, 'inner.mjs');
  await writeFile(inner, ALTERNATING_RUNNER);
  const spec = { variants, rounds: runs, warmups: 2, between: [...builds['no cache'], 'gc', '--grace-period=0s'] };
  const out = await fx.sd.exec([process.execPath, inner, JSON.stringify(spec)], { timeoutMs: 3_600_000 });
  if (out.code !== 0) throw new Error(`inner benchmark failed: ${out.stderr}`);
  const times = JSON.parse(out.stdout);
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`rocklet start-up with and without its code cache, inside a ${fx.sd.mode} test systemd, n=${runs} per variant, alternating; load ${load}`);
  for (const [label, xs] of Object.entries(times)) {
    const [command, build] = label.split(', ');
    const vsOff = build === 'cache' ? `  ${(median(xs) / median(times[`${command}, no cache`])).toFixed(2)}x of no cache` : '';
    const vsBase = build === 'cache' && baseline !== undefined ? `, ${(median(xs) / median(times[`${command}, baseline`])).toFixed(2)}x of baseline` : '';
    console.log(`  ${label.padEnd(20)} median ${median(xs).toFixed(1).padStart(6)} ms  (min ${Math.min(...xs).toFixed(1)})${vsOff}${vsBase}`);
  }
} finally {
  await fx.dispose();
}
