// N pods each with a 10 s httpGet liveness probe and a 10 s exec readiness probe, under one
// daemon (issue 14's goal: 1,000 pods under 2 % of one core and 150 MB RSS, no probe late by
// more than a period).
// Usage: npm run build && node bench/daemon-probes.mjs [pods=200] [--seconds=60] [--period=10] [--only=http|exec] [--node-arg=…]   (root, crun)
// (--only: one of the two probes per pod, to see what each kind costs the engine)
// (--node-arg=--cpu-prof --node-arg=--cpu-prof-dir=DIR: a CPU profile of the daemon, written when it stops)
//
// Pods use the pod network (each its own netns, so the http probes exercise the socket made
// inside the pod's namespace; the default /24 holds ~250 pods, so more pods need a larger
// `network.subnet` in config.yaml — the bench writes one). Each runs busybox httpd on :8080.
// After every pod is Running with READY 1/1, measures over --seconds: the daemon's CPU (% of one
// core: utime+stime of its process), its RSS, and probe lateness (how late each run started
// against its schedule, from the daemon's status: max, runs later than 1 s, runs later than a period).
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DaemonFixture } from '../dist/test/daemon/fixture.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();
const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 200);
const seconds = Number(process.argv.find((a) => a.startsWith('--seconds='))?.slice('--seconds='.length) ?? 60);
// --period=S: the probes' periodSeconds (default 10, the issue's); a longer one lets a small
// machine hold 1,000 pods' probers at the probe rate it can carry (crun exec is ~10 ms of CPU).
const period = Number(process.argv.find((a) => a.startsWith('--period='))?.slice('--period='.length) ?? 10);
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && only !== 'http' && only !== 'exec') throw new Error('--only=http or --only=exec');
const nodeArgs = process.argv.filter((a) => a.startsWith('--node-arg=')).map((a) => a.slice('--node-arg='.length));

function podFile(name) {
  return [
    'apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:', '  terminationGracePeriodSeconds: 1',
    '  containers:', '  - name: main', '    image: busybox:1.36', '    imagePullPolicy: IfNotPresent',
    "    command: [/bin/sh, -c, 'mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www']",
    '    ports: [{name: http, containerPort: 8080}]',
    ...(only === 'exec' ? [] : [`    livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: ${period}}`]),
    ...(only === 'http' ? [] : [`    readinessProbe: {exec: {command: [/bin/true]}, periodSeconds: ${period}}`]), '',
  ].join('\n');
}

async function cpuTicks(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function rssKb(pid) {
  return Number(/^VmRSS:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** The machine's CPU ticks: busy (everything but idle and iowait) and total, all CPUs. */
async function machineTicks() {
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** CPU ticks of each of the process's threads, by thread name (summed when several share one; the main thread apart). */
async function threadTicks(pid) {
  const out = new Map();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // Node's own threads (V8's GC helpers, libuv's pool) are all called `node`: the main one apart.
    const name = comm === 'node' ? (tid === String(pid) ? 'main' : 'node helpers') : comm;
    const fields = stat.split(') ')[1].split(' ');
    out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
  }
  return out;
}

/** Nanoseconds the daemon's probe thread has run (schedstat: the scheduler's accounting, finer than ticks). */
async function engineNs(pid) {
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const comm = await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'rocklet-probes') return Number((await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')).split(' ')[0]);
  }
  return 0;
}

async function daemonHostPid(d) {
  // The unit also holds the exec probes' crun processes while they run: pick the daemon.
  for (const pid of await d.fx.sd.unitPids('rocklet.service')) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('\0daemon\0')) return pid;
  }
  throw new Error('no daemon process in rocklet.service');
}

const d = await DaemonFixture.create('bench-daemon-probes');
try {
  if (count > 240) await writeFile(path.join(d.configDir, 'config.yaml'), 'network:\n  subnet: 172.16.64.0/20\n');
  const started = await d.startDaemon([], nodeArgs.length === 0 ? {} : { nodeArgs });
  if (started.code !== 0) throw new Error(started.stderr);
  const t0 = Date.now();
  for (let i = 0; i < count; i++) await d.writePod(`p${i}.yaml`, podFile(`p${i}`));
  let ready = 0;
  while (ready < count) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ready = (await d.pods()).pods.filter((row) => row.state === 'Running' && row.ready?.ready === 1).length;
    if (Date.now() - t0 > 30 * 60_000) throw new Error(`only ${ready} of ${count} ready after 30 min`);
  }
  const allReady = Date.now() - t0;
  // Let the start-up burst settle: one full period of steady probing first.
  await new Promise((resolve) => setTimeout(resolve, (period + 2) * 1000));
  const pid = await daemonHostPid(d);
  // The status file (and its probe counters) is rewritten only when a row changes: a file
  // written and removed makes a fresh one. Both snapshots are taken outside the CPU window
  // (adding and removing a file costs the daemon a directory scan and a re-admission of every
  // file, ~150 ms at 1,000 pods): the runs in the window are the rate between them times its length.
  const snapshot = async () => {
    await d.writePod('zz-counter-probe.yaml', '');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const probes = (await d.pods()).daemon.probes;
    const at = Date.now();
    await rm(path.join(d.podDir, 'zz-counter-probe.yaml'));
    return { probes, at };
  };
  const snap0 = await snapshot();
  const probes0 = snap0.probes;
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const machine0 = await machineTicks();
  const cpu0 = await cpuTicks(pid);
  const threads0 = await threadTicks(pid);
  const engine0 = await engineNs(pid);
  const w0 = Date.now();
  let rssMax = 0;
  while (Date.now() - w0 < seconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    rssMax = Math.max(rssMax, await rssKb(pid));
  }
  const cpu = (await cpuTicks(pid)) - cpu0;
  const machine1 = await machineTicks();
  const threads1 = await threadTicks(pid);
  const engineRan = (await engineNs(pid)) - engine0;
  const elapsed = (Date.now() - w0) / 1000;
  const snap1 = await snapshot();
  const probes1 = snap1.probes;
  const windowRuns = ((probes1.runs - probes0.runs) * elapsed * 1000) / (snap1.at - snap0.at);
  // (the counter file's own row may linger for the daemon's grace on a vanished file: not a pod of the bench)
  const notReady = (await d.pods()).pods.filter((row) => row.file !== 'zz-counter-probe.yaml' && (row.ready?.ready !== 1 || row.restarts !== 0)).length;
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`${count} pods (pod network, busybox httpd), each ${only === 'exec' ? '' : `a ${period} s httpGet liveness`}${only === undefined ? ' + ' : ''}${only === 'http' ? '' : `a ${period} s exec readiness probe`}; ${d.fx.sd.mode} test systemd; load ${load}`);
  console.log(`  all Running and ready ${(allReady / 1000).toFixed(1)} s after the first file`);
  console.log(`  over ${elapsed.toFixed(0)} s: daemon CPU ${cpu} ticks = ${((cpu / 100 / elapsed) * 100).toFixed(2)} % of one core; RSS max ${(rssMax / 1024).toFixed(1)} MiB`);
  const byThread = [...threads1].map(([name, ticks]) => [name, ticks - (threads0.get(name) ?? 0)]).filter(([, ticks]) => ticks > 0).sort((a, b) => b[1] - a[1]);
  const busy = machine1.busy - machine0.busy;
  console.log(`  the whole machine meanwhile: ${((100 * busy) / (machine1.total - machine0.total)).toFixed(1)} % busy (all ${(await readFile('/proc/cpuinfo', 'utf8')).split('\nprocessor').length} CPUs: crun exec of the exec probes, the pods' httpd, systemd, the daemon)`);
  console.log(`  by thread (ticks): ${byThread.map(([name, ticks]) => `${name} ${ticks}`).join(', ')}`);
  console.log(`  probe runs in the window ~${Math.round(windowRuns)} (expected ~${Math.round(((only === undefined ? 2 : 1) * count * elapsed) / period)}): the engine thread ran ${(engineRan / 1e6).toFixed(0)} ms, ${(engineRan / 1000 / windowRuns).toFixed(0)} µs a run; since daemon start: max lateness ${probes1.maxLateMs} ms, runs >1 s late ${probes1.lateOverSecond}, runs > one period late ${probes1.latePastPeriod} of ${probes1.runs}`);
  console.log(`  pods not ready or restarted at the end: ${notReady}`);
} finally {
  await d.stopDaemon();
  for (let i = 0; i < count; i++) await rm(path.join(d.podDir, `p${i}.yaml`), { force: true });
  await d.dispose();
}
