// N cycles of `rocklet run --net=default` (/bin/true) + `rocklet gc --grace-period=0s`: prove nothing leaks.
// Usage: npm run build && node bench/pod-cycles.mjs [cycles=1000] [gc-every=10] [parallel=1] [max-minutes] [--limited-every=N]
//   (max-minutes: stop starting new cycles after that long, then check as usual; the cycles done are printed)
//   (--limited-every=N: every Nth run gives its app --memory=64M --cpu=500m, so crun's cgroupfs manager
//   makes a cgroup per app in every hierarchy: the cgroup count then checks their removal too)
//   (needs root and crun; boots a private test systemd with its own network namespace, so rocklet0,
//   the nft table, the veths and the netns files never touch the host's network)
//
// Every cycle is the whole CLI inside the instance: prepare (overlay, bundle), pod up (netns, lease,
// veth on rocklet0, nft chains), crun, pod down. Every `gc-every` cycles gc collects the exited
// pods. `parallel` > 1 runs that many `rocklet run`s at once (lease allocation and the nft table
// under concurrency). Before the first and after the last cycle (plus a final gc) it counts what a
// leak would leave, and exits 1 if any count grew:
//   mounts       mountinfo lines of the instance under the data dir or /run/rocklet
//   netns files  /run/rocklet/netns/*, /run/rocklet/ns/* (inside the instance)
//   leases       lease files in <data dir>/net/rocklet0
//   nft chains   chains in `nft list table ip rocklet` (pod-<uuid> chains are per pod)
//   veths        links in the instance's netns other than lo and rocklet0
//   cgroups      directories under the instance's /sys/fs/cgroup (every hierarchy)
//   crun state   /run/rocklet/crun/* (containers crun still knows)
//   pod dirs     <data dir>/pods/*/*
//   processes    processes whose command line names the data dir
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeFixture } from '../dist/test/pod/runtime/fixture.js';
import { TRUE_IMAGE, fetchTrueImage } from './lib/true-image.mjs';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const cycles = Number(positional[0] ?? 1000);
const gcEvery = Number(positional[1] ?? 10);
const parallel = Number(positional[2] ?? 1);
const maxMs = positional[3] === undefined ? Infinity : Number(positional[3]) * 60_000;
const limitedEvery = Number(process.argv.find((arg) => arg.startsWith('--limited-every='))?.slice('--limited-every='.length) ?? 0);
const LIMITS = ['--memory=64M', '--cpu=500m'];
const IMAGE = TRUE_IMAGE;

async function list(dir) {
  try {
    return await readdir(dir);
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

async function snapshot(fx) {
  const root = `/proc/${fx.sd.pid}/root`;
  const mountinfo = await readFile(`/proc/${fx.sd.pid}/mountinfo`, 'utf8');
  const mounts = mountinfo.split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${fx.dataDir}/`) || p === fx.dataDir || p.startsWith('/run/rocklet/'));
  const nsFiles = [...(await list(`${root}/run/rocklet/netns`)), ...(await list(`${root}/run/rocklet/ns`))];
  const leases = (await list(path.join(fx.dataDir, 'net/rocklet0'))).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  const nft = await fx.exec(['nft', 'list', 'table', 'ip', 'rocklet']);
  const chains = nft.code === 0 ? nft.stdout.split('\n').filter((l) => /^\s*chain /.test(l)).map((l) => l.trim().split(' ')[1]) : [];
  const links = (await fx.exec(['ip', '-br', 'link'])).stdout.split('\n').map((l) => l.split(/\s+/)[0]?.split('@')[0] ?? '')
    .filter((n) => n !== '' && n !== 'lo' && n !== 'rocklet0');
  const cgroups = (await fx.exec(['find', '/sys/fs/cgroup', '-mindepth', '1', '-type', 'd'])).stdout.split('\n').filter(Boolean);
  const crun = await list(`${root}/run/rocklet/crun`);
  const pods = [];
  for (const state of await list(path.join(fx.dataDir, 'pods'))) {
    for (const uuid of await list(path.join(fx.dataDir, 'pods', state))) pods.push(`${state}/${uuid}`);
  }
  const processes = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(fx.dataDir)) processes.push(cmdline.split('\0').join(' '));
  }
  return { mounts, 'netns files': nsFiles, leases, 'nft chains': chains, veths: links, cgroups, 'crun state': crun, 'pod dirs': pods, processes };
}

async function rocklet(fx, args) {
  const result = await fx.rocklet(args, { timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`rocklet ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  return result;
}

const fx = await RuntimeFixture.create('bench-pod-cycles');
let failed = false;
try {
  await fetchTrueImage(fx);
  // One cycle first, so the bridge, the nft table and the lease dir exist in the baseline.
  await rocklet(fx, ['run', '--net=default', IMAGE]);
  await rocklet(fx, ['gc', '--grace-period=0s']);
  const before = await snapshot(fx);
  // Self-check of the probes: one pod that sleeps, counted while it runs (every count should move).
  const sleeper = fx.rocklet(['run', '--net=default', IMAGE, '--exec=/bin/sleep', '--', '1000'], { timeoutMs: 120_000 });
  let during;
  for (let i = 0; i < 300 && during === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const s = await snapshot(fx);
    if (s['crun state'].length > 0 && s.veths.length > 0) during = s;
  }
  const running = (await fx.rocklet(['list', '--no-legend'])).stdout.split('\n').find((l) => / running /.test(l))?.split(' ')[0];
  if (running !== undefined) await fx.rocklet(['stop', '--force', running]);
  await sleeper;
  await rocklet(fx, ['gc', '--grace-period=0s']);
  if (during === undefined) throw new Error('the self-check pod did not come up');

  const t0 = performance.now();
  let done = 0;
  let collected = 0;
  while (done < cycles && performance.now() - t0 < maxMs) {
    const batch = Math.min(parallel, cycles - done);
    await Promise.all(Array.from({ length: batch }, (_, i) => {
      const limited = limitedEvery > 0 && (done + i + 1) % limitedEvery === 0;
      return rocklet(fx, ['run', '--net=default', IMAGE, ...(limited ? LIMITS : [])]);
    }));
    const previous = done;
    done += batch;
    if (Math.floor(done / gcEvery) > Math.floor(previous / gcEvery)) {
      const gc = await rocklet(fx, ['gc', '--grace-period=0s']);
      collected += (gc.stdout.match(/^Garbage collecting pod/gm) ?? []).length;
    }
    if (Math.floor(done / 100) > Math.floor(previous / 100) || done === cycles || performance.now() - t0 >= maxMs) {
      const s = ((performance.now() - t0) / 1000).toFixed(0);
      const load = (await readFile('/proc/loadavg', 'utf8')).split(' ')[0];
      console.log(`${done}/${cycles} cycles, ${s} s (${((performance.now() - t0) / done).toFixed(0)} ms/cycle), load ${load}`);
    }
  }
  const gc = await rocklet(fx, ['gc', '--grace-period=0s']);
  collected += (gc.stdout.match(/^Garbage collecting pod/gm) ?? []).length;
  const seconds = (performance.now() - t0) / 1000;
  const after = await snapshot(fx);

  const limitedNote = limitedEvery > 0 ? `, every ${limitedEvery}th with ${LIMITS.join(' ')}` : '';
  console.log(`\n${done}${done < cycles ? ` of ${cycles} (time budget reached)` : ''} cycles of \`rocklet run --net=default ${IMAGE}\`${limitedNote} (parallel ${parallel}), gc every ${gcEvery}: ${seconds.toFixed(0)} s, ${collected} pods collected by gc`);
  console.log(`${'what'.padEnd(12)} ${'before'.padStart(7)} ${'1 pod up'.padStart(9)} ${'after'.padStart(7)}  leaked`);
  for (const key of Object.keys(before)) {
    const leaked = after[key].filter((x) => !before[key].includes(x));
    if (leaked.length > 0) failed = true;
    console.log(`${key.padEnd(12)} ${String(before[key].length).padStart(7)} ${String(during[key].length).padStart(9)} ${String(after[key].length).padStart(7)}  ${leaked.length}${leaked.length > 0 ? `: ${leaked.slice(0, 5).join(', ')}` : ''}`);
  }
  if (collected !== done) {
    failed = true;
    console.log(`gc collected ${collected} pods, expected ${done}`);
  }
  console.log(failed ? 'LEAKS FOUND' : 'no leaks');
} finally {
  await fx.dispose();
}
process.exitCode = failed ? 1 : 0;
