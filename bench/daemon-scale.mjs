// Many pods under one daemon: N pod files (busybox `sleep`, hostNetwork: true — the default
// /24 pod network has ~250 addresses) dropped at once.
// Usage: npm run build && node bench/daemon-scale.mjs [pods=1000] [--idle=120] [--stop=files|operator] [--node-options=…] [--node-arg=…] [--env=K=V]   (root, crun)
//
// Measures, inside one hybrid test systemd: time until every file is Running (from the first
// rename), the daemon's RSS with N pods, its CPU time in the 30 s after the burst and over the
// following 120 s idle (no polling: only the minute's resync), and a daemon restart with N
// running pods: time to READY (all adopted) and how many app units got a new InvocationID
// (should be 0); last, every file deleted at once: time until no unit is left and CPU per pod
// stop. With --stop=operator the last phase is instead what an operator or a shutdown does: the
// daemon stopped, then `systemctl stop 'rocklet-p*.slice'` (the units' own ExecStopPost= clean
// up); until no unit is active and every pod is out of run/. The instance is torn down after.
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DaemonFixture } from '../dist/test/daemon/fixture.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();
// --idle=SECONDS shortens the idle window (e.g. for a quick look at the stop phase).
const STOP_MODE = process.argv.find((a) => a.startsWith('--stop='))?.slice('--stop='.length) ?? 'files';
if (STOP_MODE !== 'files' && STOP_MODE !== 'operator') throw new Error(`--stop=${STOP_MODE}: files or operator`);
const IDLE_SECONDS = Number(process.argv.find((a) => a.startsWith('--idle='))?.slice('--idle='.length) ?? 120);
const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000);
// e.g. --node-options=--max-semi-space-size=1 : V8 flags for the daemon (NODE_OPTIONS of its unit).
const nodeOptions = process.argv.find((a) => a.startsWith('--node-options='))?.slice('--node-options='.length);
// e.g. --node-arg=--cpu-prof --node-arg=--cpu-prof-dir=/var/tmp/prof : node flags NODE_OPTIONS refuses (repeatable;
// a CPU profile is written when the daemon exits, at the restart phase).
const nodeArgs = process.argv.filter((a) => a.startsWith('--node-arg=')).map((a) => a.slice('--node-arg='.length));
// e.g. --env=MALLOC_ARENA_MAX=2 : extra environment of the daemon's unit (repeatable).
const env = Object.fromEntries(process.argv.filter((a) => a.startsWith('--env=')).map((a) => a.slice('--env='.length).split(/=(.*)/s).slice(0, 2)));

function podFile(name) {
  return [
    'apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:', '  hostNetwork: true', '  terminationGracePeriodSeconds: 1',
    '  containers:', '  - name: main', '    image: busybox:1.36', '    imagePullPolicy: IfNotPresent', "    command: [/bin/sleep, '100000']", '',
  ].join('\n');
}

/**
 * Rows in state Running, read from the daemon's status file in the instance. `rocklet pods`
 * would say the same, but polling it once a second starts a Node process each time: ~10 % of
 * the machine's CPU during the burst, which is what is being measured.
 */
async function runningFromStatus(d) {
  try {
    const status = JSON.parse(await readFile(`/proc/${d.fx.sd.pid}/root/run/rocklet/daemon/status.json`, 'utf8'));
    return status.files.filter((row) => row.state === 'Running').length;
  } catch (error) {
    if (error.code === 'ENOENT') return 0; // not written yet
    throw error;
  }
}

async function daemonPid(d) {
  return Number((await d.unitProps('rocklet.service', ['MainPID'])).MainPID);
}

async function hostPid(d, nsPid) {
  // unitPids reports host PIDs of the unit's cgroup; the daemon is its only process.
  const pids = await d.fx.sd.unitPids('rocklet.service');
  return pids.length === 1 ? pids[0] : nsPid;
}

async function cpuTicks(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (clock ticks)
}

async function rssKb(pid) {
  return Number(/^VmRSS:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

async function appInvocations(d) {
  const out = await d.fx.exec(['sh', '-c', 'systemctl show --property=Id,InvocationID "rocklet-*_main.service"']);
  return out.stdout;
}

/** CPU ticks of the processes that do a pod start's work besides crun and the apps. */
async function startCosts(d) {
  const [dbus] = await d.fx.sd.unitPids('dbus.service');
  const [journald] = await d.fx.sd.unitPids('systemd-journald.service');
  const mainPid = await daemonPid(d);
  // Stopped (--stop=operator): its CPU is no longer part of the cost.
  const pids = { daemon: mainPid === 0 ? undefined : await hostPid(d, mainPid), systemd: d.fx.sd.pid, 'dbus-daemon': dbus, journald };
  const ticks = {};
  for (const [name, pid] of Object.entries(pids)) ticks[name] = pid === undefined ? 0 : await cpuTicks(pid);
  return ticks;
}

async function busyTicks() {
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return user + nice + system + irq + softirq + steal;
}

const d = await DaemonFixture.create('bench-daemon-scale');
try {
  const started = await d.startDaemon([], { ...(nodeOptions === undefined ? {} : { nodeOptions }), ...(nodeArgs.length === 0 ? {} : { nodeArgs }), env });
  if (started.code !== 0) throw new Error(started.stderr);
  const idleRss = await rssKb(await hostPid(d, await daemonPid(d)));
  const costs0 = await startCosts(d);
  const busy0 = await busyTicks();
  const t0 = Date.now();
  for (let i = 0; i < count; i++) await d.writePod(`p${i}.yaml`, podFile(`p${i}`));
  const written = Date.now() - t0;
  let running = 0;
  while (running < count) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    running = await runningFromStatus(d);
    if (Date.now() - t0 > 20 * 60_000) throw new Error(`only ${running} of ${count} running after 20 min`);
  }
  const allRunning = Date.now() - t0;
  const costs1 = await startCosts(d);
  const busy = (await busyTicks()) - busy0;
  const pid = await hostPid(d, await daemonPid(d));
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const rss = await rssKb(pid);
  // The daemon writes its heap figures with every status update; touch a file to get a fresh one.
  await d.writePod('zz-memory-probe.yaml', '');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const memory = (await d.pods()).daemon.memory ?? {};
  await rm(path.join(d.podDir, 'zz-memory-probe.yaml'));
  // The first half minute after a burst is not idle: the last status writes, exit and restart
  // reads, V8's memory reducer. It is reported apart; idle is the two minutes after it, which hold
  // two periodic resyncs (every 60 s).
  const settleStart = await cpuTicks(pid);
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const before = await cpuTicks(pid);
  const settleTicks = before - settleStart;
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const idleTicks = (await cpuTicks(pid)) - before;
  const invocations = await appInvocations(d);
  const r0 = Date.now();
  const restarted = await d.fx.exec(['systemctl', 'restart', 'rocklet.service']); // returns at READY (Type=notify)
  const restartMs = Date.now() - r0;
  if (restarted.code !== 0) throw new Error(`${restarted.stderr}\n${(await d.daemonLog()).split('\n').slice(-15).join('\n')}`);
  const after = await appInvocations(d);
  const changed = invocations.split('\n\n').filter((block) => !after.includes(block)).length;
  // Stop: every file deleted at once; until the daemon has no pod left (units gone, pods down).
  // Or (--stop=operator) the daemon down and every pod's slice stopped; until no unit is left and
  // every pod is out of run/ (their ExecStopPost= took them down).
  if (STOP_MODE === 'operator') await d.stopDaemon();
  const stopCosts0 = await startCosts(d);
  const stopBusy0 = await busyTicks();
  const s0 = Date.now();
  if (STOP_MODE === 'operator') {
    // --no-block: the stop jobs take longer than the harness lets one command run.
    const stopped = await d.fx.exec(['systemctl', 'stop', '--no-block', 'rocklet-p*.slice']);
    if (stopped.code !== 0) throw new Error(`systemctl stop: ${stopped.stderr}`);
  } else {
    for (let i = 0; i < count; i++) await rm(path.join(d.podDir, `p${i}.yaml`), { force: true });
  }
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // An operator's stop leaves failed app units loaded (nobody resets them): count the live ones.
    const listing = STOP_MODE === 'operator' ? 'systemctl list-units --plain --no-legend --state=active,activating,deactivating,reloading "rocklet-p*"' : 'systemctl list-units --all --plain --no-legend "rocklet-p*"';
    const units = await d.fx.exec(['sh', '-c', `${listing} | wc -l`]);
    const left = STOP_MODE === 'operator' ? (await readdir(path.join(d.fx.dataDir, 'pods/run'))).length : await runningFromStatus(d);
    if (Number(units.stdout.trim()) === 0 && left === 0) break;
    if (Date.now() - s0 > 30 * 60_000) throw new Error('pods not stopped after 30 min');
  }
  const stopMs = Date.now() - s0;
  const stopCosts1 = await startCosts(d);
  const stopBusy = (await busyTicks()) - stopBusy0;
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`${count} pod files (hostNetwork, busybox sleep), one daemon in a ${d.fx.sd.mode} test systemd${nodeOptions === undefined ? '' : `, NODE_OPTIONS=${nodeOptions}`}${Object.entries(env).map(([k, v]) => `, ${k}=${v}`).join('')}; load ${load}`);
  console.log(`  files written in ${written} ms; all Running ${(allRunning / 1000).toFixed(1)} s after the first rename`);
  const mib = (bytes) => (bytes / 1048576).toFixed(1);
  const perPod = (ticks) => `${((ticks * 10) / count).toFixed(1)} ms`;
  const parts = Object.keys(costs1).map((name) => `${name} ${perPod(costs1[name] - costs0[name])}`).join(', ');
  console.log(`  CPU per pod start (1 tick = 10 ms): ${parts}; the whole machine ${perPod(busy)} (includes anything else running)`);
  console.log(`  daemon RSS: ${(idleRss / 1024).toFixed(1)} MiB with no pods (after READY), ${(rss / 1024).toFixed(1)} MiB with ${count} pods (V8 heap used ${mib(memory.heapUsed ?? 0)} of ${mib(memory.heapTotal ?? 0)} MiB, external ${mib(memory.external ?? 0)} MiB)`);
  console.log(`  daemon CPU in the 30 s after the burst (settling): ${settleTicks} ticks (${((settleTicks / 100 / 30) * 100).toFixed(2)} % of one core)`);
  console.log(`  daemon CPU over the next ${IDLE_SECONDS} s, idle (${Math.floor(IDLE_SECONDS / 60)} periodic resyncs): ${idleTicks} ticks (${((idleTicks / 100 / IDLE_SECONDS) * 100).toFixed(2)} % of one core)`);
  console.log(`  daemon restart → READY with ${count} running pods: ${restartMs} ms; app units restarted: ${changed}`);
  const stopParts = Object.keys(stopCosts1).map((name) => `${name} ${perPod(stopCosts1[name] - stopCosts0[name])}`).join(', ');
  const stopWhat = STOP_MODE === 'operator' ? `daemon stopped, all ${count} pod slices stopped (systemctl) → no unit active and every pod down` : `all ${count} files deleted → every unit gone`;
  console.log(`  ${stopWhat}: ${(stopMs / 1000).toFixed(1)} s; CPU per pod stop: ${stopParts}; the whole machine ${perPod(stopBusy)}`);
} finally {
  await d.stopDaemon();
  for (let i = 0; i < count; i++) await rm(path.join(d.podDir, `p${i}.yaml`), { force: true });
  await d.dispose();
}
