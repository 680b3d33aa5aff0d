// Boot and stop time of the harness's private test systemd (median of N runs, default 10).
// Usage: npx tsc -p tsconfig.json && node bench/testsd-boot.mjs [runs] [hybrid|unified|auto]
// Boot = bootTestSystemd() until Manager.SystemState is running/degraded over the instance bus.
// Stop = stop(): SIGRTMIN+4 → PID 1 gone → launcher reaped → cgroups rmdir'ed → dir removed.
import { bootTestSystemd } from '../dist/test/harness/index.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();

const runs = Number(process.argv[2] ?? 10);
const mode = process.argv[3] ?? 'hybrid';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const boot = [];
const stop = [];
for (let i = 0; i < runs; i += 1) {
  const t0 = performance.now();
  const sd = await bootTestSystemd({ mode });
  const t1 = performance.now();
  await sd.stop();
  const t2 = performance.now();
  boot.push(t1 - t0);
  stop.push(t2 - t1);
}
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
console.log(`test systemd, ${mode} mode, n=${runs}`);
console.log(`boot: ${fmt(boot)}`);
console.log(`stop: ${fmt(stop)}`);
