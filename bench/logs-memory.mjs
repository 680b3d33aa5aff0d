// Memory of `rocklet logs` on large logs: the peak RSS of the whole CLI process while it prints
// every line of an app that wrote LINES lines (default 200000) and of one that wrote a tenth of
// that, side by side: flat memory means the two peaks are about the same.
// Usage: npm run build && node bench/logs-memory.mjs [lines=200000]   (needs root, crun)
//
// Inside one private test systemd (its /run tmpfs grown to 2 GiB, its journald given RuntimeMaxUse=1G
// and no rate limit for the run, so every line is kept):
//   journal   a daemon pod (rocklet daemon, pod file) whose app runs `seq LINES`; `rocklet logs POD`
//             reads its run from the journal (journalctl -o json, parsed as it streams).
//   files     a standalone pod (rocklet run-prepared) whose app runs `seq LINES`; `rocklet logs
//             UUID` reads its log files (8 MiB + the rotated one: the oldest lines are gone).
// Each command runs under GNU time (`%M`: peak RSS in KiB, `%e`: seconds) with stdout to a file
// (whose line count is checked), 3 times; medians are printed.
import path from 'node:path';
import { DaemonFixture } from '../dist/test/daemon/fixture.js';
import { podPlan } from '../dist/test/pod/runtime/fixture.js';
import { waitFor } from '../dist/test/harness/index.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();

const LINES = Number(process.argv[2] ?? 200_000);
const SMALL = Math.round(LINES / 10);
const RUNS = 3;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const d = await DaemonFixture.create('bench-logs');
try {
  const fx = d.fx;
  // Keep every line: the harness's journald is sized for tests (16M) and rate-limited by default.
  // (its /run is a 64 MiB tmpfs, which journald may fill to 90 %: 200k entries take more).
  await fx.exec(['sh', '-c', 'mount -o remount,size=2g /run && printf "[Journal]\\nRuntimeMaxUse=1G\\nRateLimitIntervalSec=0\\n" >/run/systemd/journald.conf.d/60-bench.conf && systemctl restart systemd-journald']);
  const started = await d.startDaemon();
  if (started.code !== 0) throw new Error(started.stderr);

  const measure = async (label, args, expectedLines) => {
    const out = path.join(fx.tmp.path, 'logs.out');
    const rss = [];
    const secs = [];
    for (let i = 0; i < RUNS; i++) {
      const timed = await fx.exec(['sh', '-c', `env DBUS_SYSTEM_BUS_ADDRESS=${fx.sd.busAddress} /usr/bin/time -f '%M %e' ${fx.rockletArgv(`--config-dir=${d.configDir}`, 'logs', ...args).map((a) => `'${a}'`).join(' ')} >${out}`]);
      if (timed.code !== 0) throw new Error(`${label}: ${timed.stderr}`);
      const [kib = '0', seconds = '0'] = timed.stderr.trim().split('\n').at(-1).split(' ');
      rss.push(Number(kib));
      secs.push(Number(seconds));
      const counted = await fx.exec(['sh', '-c', `wc -l <${out}`]);
      const lines = Number(counted.stdout.trim());
      if (expectedLines !== undefined && lines !== expectedLines) throw new Error(`${label}: printed ${lines} lines, expected ${expectedLines}`);
      if (i === 0) console.log(`${label.padEnd(34)} lines printed ${lines}`);
    }
    console.log(`${label.padEnd(34)} peak RSS median ${(median(rss) / 1024).toFixed(1)} MiB (runs: ${rss.map((k) => (k / 1024).toFixed(1)).join(', ')})  time median ${median(secs).toFixed(2)} s`);
    return median(rss);
  };

  // journal
  const results = {};
  for (const lines of [SMALL, LINES]) {
    const name = `seq${lines}`;
    await d.writePod(`${name}.yaml`, ['apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:', '  containers:', '  - name: main', '    image: busybox:1.36',
      '    imagePullPolicy: IfNotPresent', `    command: [/bin/sh, -c, 'seq ${lines}; echo done-${lines}; exec sleep 100000']`, ''].join('\n'));
    const done = await waitFor(async () => {
      const shown = await d.rocklet(['logs', '--tail=1', name]);
      return shown.stdout === `done-${lines}\n` ? true : undefined;
    }, { timeoutMs: 600_000, intervalMs: 1000 });
    if (!done) throw new Error(`${name}: the journal never got its last line`);
    results[`journal ${lines}`] = await measure(`journal, ${lines} lines`, [name], lines + 1);
  }
  results.tail = await measure(`journal, ${LINES} lines, --tail=10`, ['--tail=10', `seq${LINES}`], 10);

  // files
  for (const lines of [SMALL, LINES]) {
    const { uuid } = await fx.prepare(podPlan([fx.app('main', ['sh', '-c', `seq ${lines}`])], { net: 'none' }));
    const ran = await fx.exec(['sh', '-c', `${fx.rockletArgv('run-prepared', uuid).map((a) => `'${a}'`).join(' ')} >/dev/null`]);
    if (ran.code !== 0) throw new Error(ran.stderr);
    results[`files ${lines}`] = await measure(`files, ${lines} lines`, [uuid]);
  }
  const version = await fx.exec(['sh', '-c', `/usr/bin/time -f '%M' ${fx.rockletArgv('version').map((a) => `'${a}'`).join(' ')} >/dev/null`]);
  const versionKib = Number(version.stderr.trim().split('\n').at(-1));
  console.log(`${'rocklet version (CLI floor)'.padEnd(34)} peak RSS ${(versionKib / 1024).toFixed(1)} MiB`);
  console.log(`ratio journal ${LINES}/${SMALL} lines: ${(results[`journal ${LINES}`] / results[`journal ${SMALL}`]).toFixed(2)}x; files: ${(results[`files ${LINES}`] / results[`files ${SMALL}`]).toFixed(2)}x`);
} finally {
  await d.dispose();
}
