// File → first app process: how long after a pod file is renamed into the pod directory the
// app's first command runs (it touches a marker on a hostPath volume), under `rocklet daemon`.
// Usage: npm run build && node bench/daemon-latency.mjs [rounds=10]   (root, crun)
//
// Boots one private test systemd (own network namespace) with rocklet.service (Type=notify)
// inside it, a busybox image in the store. Each round, alternating: a pod file with the
// default pod network, one with hostNetwork: true, and `systemd-run --wait /bin/true` as the
// floor of one transient unit, plus `rocklet run` of the same image and command (no daemon)
// and `podman kube play` of the same pod file (busybox imported into podman; see lib/podman.mjs
// for the settings these VMs need; left out, saying why, when podman is not installed).
// The marker is polled every 1 ms from outside. Between rounds
// the files are removed and the bench waits until their units are gone (untimed). The stage
// split comes from the daemon's own log lines ("starting pod", and the timings its "pod …
// started" line carries: prepareMs, upMs, unitsMs) and the marker.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DaemonFixture } from '../dist/test/daemon/fixture.js';
import { buildBusyboxRootfs } from '../dist/test/harness/index.js';
import { podmanImportRootfs, podmanInInstance, podmanMissing } from './lib/podman.mjs';
import { guardHarnessBench } from './lib/harness-guard.mjs';
import { median } from './lib/alternating.mjs';

await guardHarnessBench();
const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10);

function podFile(name, marks, hostNetwork, image = 'busybox:1.36') {
  return [
    'apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:',
    ...(hostNetwork ? ['  hostNetwork: true'] : []),
    '  terminationGracePeriodSeconds: 1',
    '  containers:', '  - name: main', `    image: ${image}`, '    imagePullPolicy: IfNotPresent',
    `    command: [/bin/sh, -c, 'touch /marks/${name}; exec sleep 1000']`,
    '    volumeMounts: [{name: marks, mountPath: /marks}]',
    `  volumes: [{name: marks, hostPath: {path: ${marks}, type: Directory}}]`, '',
  ].join('\n');
}

async function until(probe, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const d = await DaemonFixture.create('bench-daemon-latency');
try {
  const marks = path.join(d.fx.tmp.path, 'marks');
  await mkdir(marks, { recursive: true });
  const started = await d.startDaemon();
  if (started.code !== 0) throw new Error(started.stderr);
  const times = { 'pod file, default network': [], 'pod file, hostNetwork': [], 'rocklet run, default network': [], 'rocklet run --net=host': [], 'systemd-run --wait /bin/true': [] };
  const noPodman = await podmanMissing();
  let podman;
  if (noPodman === undefined) {
    podman = await podmanInInstance(d.fx, `/run/rlbench-${process.pid}`);
    const rootfs = path.join(d.fx.tmp.path, 'podman-busybox');
    await buildBusyboxRootfs(rootfs);
    await podmanImportRootfs(d.fx, podman, rootfs, 'localhost/busybox:1.36');
    times['podman kube play, default network'] = [];
    times['podman kube play, hostNetwork'] = [];
  }
  const stages = [];
  for (let round = 0; round < rounds + 1; round++) {
    for (const [label, hostNetwork] of [['pod file, default network', false], ['pod file, hostNetwork', true]]) {
      const name = `lat${round}${hostNetwork ? 'h' : 'd'}`;
      const t0 = Date.now();
      const startedAt = performance.now();
      const mono0 = process.hrtime.bigint() / 1000n; // CLOCK_MONOTONIC µs, systemd's *Monotonic clock
      await d.writePod(`${name}.yaml`, podFile(name, marks, hostNetwork));
      await until(async () => stat(path.join(marks, name)).then(() => true, () => false));
      const ms = performance.now() - startedAt;
      if (round > 0) times[label].push(ms); // round 0 warms caches
      const log = await d.daemonLog();
      const at = (text) => {
        const line = log.split('\n').find((l) => l.includes(text) && l.includes(`"pod":"${name}"`));
        return line === undefined ? undefined : JSON.parse(line).time;
      };
      const s = at(`starting pod ${name}`);
      const e = at(`pod ${name} started`);
      const startedLine = log.split('\n').find((l) => l.includes(`pod ${name} started`));
      const split = startedLine === undefined ? {} : JSON.parse(startedLine);
      // systemd's side of the start: when each unit left "inactive" (its job ran), when the
      // app's main process (crun) was forked, when each unit became active.
      const mono = async (unit, prop) => {
        const v = (await d.unitProps(unit, [prop]))[prop];
        return v === undefined || v === '0' ? undefined : Number(BigInt(v) - mono0) / 1000;
      };
      const sandboxUnit = `rocklet-${name}.service`;
      const appUnit = `rocklet-${name}_main.service`;
      const sd = {
        sandboxJob: await mono(sandboxUnit, 'InactiveExitTimestampMonotonic'),
        sandboxActive: await mono(sandboxUnit, 'ActiveEnterTimestampMonotonic'),
        appJob: await mono(appUnit, 'InactiveExitTimestampMonotonic'),
        crunForked: await mono(appUnit, 'ExecMainStartTimestampMonotonic'),
        appActive: await mono(appUnit, 'ActiveEnterTimestampMonotonic'),
      };
      if (round > 0 && s !== undefined && e !== undefined) {
        stages.push({ label, toDecision: s - t0, decisionToStarted: e - s, prepare: split.prepareMs, up: split.upMs, units: split.unitsMs, total: ms, ...sd });
      }
      await rm(path.join(d.podDir, `${name}.yaml`));
      await until(async () => !(await d.podUnits()).has(`rocklet-${name}.service`));
    }
    // `rocklet run` of the same image and command in the same instance (its own Node start,
    // prepare, pod up and crun; no daemon, no units): spawn until the marker appears.
    for (const [label, net] of [['rocklet run, default network', 'default'], ['rocklet run --net=host', 'host']]) {
      const name = `run${round}${net === 'host' ? 'h' : 'd'}`;
      const runStart = performance.now();
      const run = d.fx.rocklet([
        'run', `--net=${net}`, '--volume', `marks,kind=host,source=${marks}`, '--mount', 'volume=marks,target=/marks',
        d.busyboxId, '--exec=/bin/sh', '--', '-c', `touch /marks/${name}`,
      ]);
      await until(async () => stat(path.join(marks, name)).then(() => true, () => false));
      if (round > 0) times[label].push(performance.now() - runStart);
      const ran = await run;
      if (ran.code !== 0) throw new Error(`rocklet run: ${ran.stderr}`);
    }
    // `podman kube play` of the same pod (its image imported into podman): spawn until the
    // marker appears; `kube down` afterwards, untimed.
    for (const [label, hostNetwork] of podman === undefined ? [] : [['podman kube play, default network', false], ['podman kube play, hostNetwork', true]]) {
      const name = `pk${round}${hostNetwork ? 'h' : 'd'}`;
      const file = path.join(d.fx.tmp.path, `${name}.yaml`);
      await writeFile(file, podFile(name, marks, hostNetwork, 'localhost/busybox:1.36'));
      const playStart = performance.now();
      const play = d.fx.exec([...podman, 'kube', 'play', '--quiet', file]);
      await until(async () => stat(path.join(marks, name)).then(() => true, () => false));
      if (round > 0) times[label].push(performance.now() - playStart);
      const played = await play;
      if (played.code !== 0) throw new Error(`podman kube play: ${played.stderr}`);
      const down = await d.fx.exec([...podman, 'kube', 'down', file]);
      if (down.code !== 0) throw new Error(`podman kube down: ${down.stderr}`);
    }
    const startedAt = performance.now();
    const floor = await d.fx.exec(['systemd-run', '--wait', '--quiet', '/bin/true']);
    if (floor.code !== 0) throw new Error(floor.stderr);
    if (round > 0) times['systemd-run --wait /bin/true'].push(performance.now() - startedAt);
  }
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`file → first app command, rocklet daemon in a ${d.fx.sd.mode} test systemd, n=${rounds}, alternating; load ${load}`);
  if (noPodman !== undefined) console.log(`  podman kube play left out: ${noPodman}`);
  const p = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  for (const [label, xs] of Object.entries(times)) {
    console.log(`  ${label.padEnd(34)} p50 ${median(xs).toFixed(0).padStart(5)} ms  p90 ${p(xs, 0.9).toFixed(0).padStart(5)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`);
  }
  for (const label of ['pod file, default network', 'pod file, hostNetwork']) {
    const mine = stages.filter((s) => s.label === label);
    if (mine.length === 0) continue;
    const m = (key) => median(mine.map((s) => s[key])).toFixed(0);
    console.log(`  ${label}: rename → decision (event, debounce, read, parse, admit) ${m('toDecision')} ms; prepare (plan, pod dir) ${m('prepare')} ms; pod up + app prepare in-process ${m('up')} ms; start jobs until all done ${m('units')} ms; marker seen at ${m('total')} ms`);
    console.log(`    systemd's timeline from the rename (ms): sandbox job runs ${m('sandboxJob')}, sandbox active ${m('sandboxActive')}, app job runs ${m('appJob')}, crun forked ${m('crunForked')}, app active ${m('appActive')}, marker ${m('total')}`);
  }
} finally {
  await d.dispose();
}
