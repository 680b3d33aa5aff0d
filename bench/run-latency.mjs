// Start-to-finish latency of `rocklet run` of /bin/true, and what a run spends its time on.
// Usage: npm run build && node bench/run-latency.mjs [runs=15] [--trace]   (root, crun)
//
// Boots one private test systemd (own network namespace), builds a busybox ACI whose exec is
// /bin/true, fetches it into a fresh store, then times N × `rocklet run --insecure-options=image
// --net=none IMAGE` and N × `--net=default` INSIDE the instance (spawn to exit, alternating,
// `rocklet gc --grace-period=0s` between rounds, untimed), plus `rocklet version` for the CLI's
// floor and `node -e 0` for Node's. Prints medians. With --trace, one more run of each network
// mode under `strace -f -e trace=execve,fsync,fdatasync -c`-style counting: the child processes a
// run spawns (by program) and its fsync calls.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeFixture } from '../dist/test/pod/runtime/fixture.js';
import { ALTERNATING_RUNNER, median } from './lib/alternating.mjs';
import { TRUE_IMAGE, fetchTrueImage } from './lib/true-image.mjs';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();

const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 15);
const trace = process.argv.includes('--trace');
const CLI = fileURLToPath(new URL('../dist/rocklet/main.js', import.meta.url));
const IMAGE = TRUE_IMAGE;


const fx = await RuntimeFixture.create('bench-run-latency');
try {
  await fetchTrueImage(fx);

  const rocklet = [process.execPath, CLI, '--dir', fx.dataDir];
  const runArgv = (net) => [...rocklet, '--insecure-options=image', 'run', `--net=${net}`, IMAGE];
  const inner = path.join(fx.tmp.path, 'inner.mjs');
  await writeFile(inner, ALTERNATING_RUNNER);
  const spec = {
    variants: {
      'run --net=none': runArgv('none'),
      'run --net=default': runArgv('default'),
      'rocklet version': [...rocklet, 'version'],
      'node -e 0': [process.execPath, '-e', '0'],
    },
    rounds: runs,
    warmups: 2,
    between: [...rocklet, 'gc', '--grace-period=0s'],
  };
  const out = await fx.sd.exec([process.execPath, inner, JSON.stringify(spec)], { timeoutMs: 3_600_000 });
  if (out.code !== 0) throw new Error(`inner benchmark failed: ${out.stderr}`);
  const times = JSON.parse(out.stdout);
  const load = (await import('node:fs/promises')).readFile('/proc/loadavg', 'utf8');
  console.log(`/bin/true from a busybox ACI, inside a ${fx.sd.mode} test systemd (own netns), n=${runs}, alternating; load ${(await load).split(' ').slice(0, 3).join(' ')}`);
  for (const [label, xs] of Object.entries(times)) {
    console.log(`  ${label.padEnd(20)} median ${median(xs).toFixed(1).padStart(7)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`);
  }

  if (trace) {
    for (const net of ['none', 'default']) {
      const log = `/tmp/rl-trace-${process.pid}-${net}`;
      const traced = await fx.sd.exec(['strace', '-f', '-qq', '-e', 'trace=execve,fsync,fdatasync', '-e', 'signal=none', '-o', log, ...runArgv(net)], { timeoutMs: 120_000 });
      if (traced.code !== 0) throw new Error(`traced run failed: ${traced.stderr}`);
      const text = (await fx.sd.exec(['cat', log])).stdout;
      await fx.sd.exec(['rm', '-f', log]);
      const programs = new Map();
      let fsyncs = 0;
      for (const line of text.split('\n')) {
        const exec = /execve\("([^"]+)"/.exec(line);
        if (exec !== null && !line.includes('= -1')) {
          const name = path.basename(exec[1]);
          programs.set(name, (programs.get(name) ?? 0) + 1);
        }
        if (/\b(fsync|fdatasync)\(/.test(line)) fsyncs++;
      }
      const total = [...programs.values()].reduce((a, b) => a + b, 0);
      console.log(`\n--net=${net}: ${total} execve, ${fsyncs} fsync/fdatasync`);
      for (const [name, n] of [...programs].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(3)} ${name}`);
      await fx.rocklet(['gc', '--grace-period=0s']);
    }
  }
} finally {
  await fx.dispose();
}
