/**
 * e2e: CPU and pids limits are enforced (issue 5, item 8), both ways a pod runs: standalone
 * (`rocklet run --cpu=…`: crun with the cgroupfs manager applies `linux.resources`) and as
 * transient units (CPUQuotaPerSecUSec= / TasksMax= on the app's unit, crun's cgroup manager
 * disabled). The test systemd is hybrid, so the v1 cpu and pids controllers enforce.
 *
 * What a user sees is measured, not timed: a busy loop runs for ~2 s of wall time and the app
 * reports its CPU time (its children's utime+stime from /proc/$$/stat, in clock ticks) next to
 * the wall time, plus the cgroup's own throttling counters (cpu.stat nr_throttled). Load on the
 * machine can only lower the CPU time, so the assertions are upper bounds: well below the wall
 * time, and throttled at least once.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SystemdManager, UnitName } from '../../src/systemd/index.js';
import { connectSystemd, parseUnitName } from '../../src/systemd/index.js';
import { podStore, podUnits, readAppExit } from '../../src/pod/index.js';
import type { ACName } from '../../src/image/index.js';
import { buildTestAci } from '../image/fetch/helpers.js';
import { waitFor } from '../harness/index.js';
import { RuntimeFixture, podPlan } from '../pod/runtime/fixture.js';

/**
 * Busy-loops in a child for 2 s of wall time, then prints `cpu=TICKS wall=TICKS` (the child's
 * CPU time once waited for, and the elapsed wall time, both in 1/100 s) and the cgroup's
 * `nr_throttled`/`cfs_quota_us` as the app sees them (its cgroup namespace makes its own cgroup
 * the root of /sys/fs/cgroup/cpu).
 */
const BURN = [
  'u0=$(cut -d" " -f1 /proc/uptime)',
  'sh -c "while :; do :; done" & p=$!',
  'sleep 2; kill $p; wait $p',
  'u1=$(cut -d" " -f1 /proc/uptime)',
  'set -- $(cat /proc/$$/stat)',
  'echo "cpu=$((${16} + ${17})) wall=$(awk "BEGIN { print int(($u1 - $u0) * 100) }")"',
  'echo "quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)"',
  'grep "^nr_throttled" /sys/fs/cgroup/cpu/cpu.stat | tr " " "="',
].join('; ');

/** The pids limit of the fork tests: above what `rocklet app prepare` (node, ExecStartPre=) needs in threads. */
const PIDS = 32;

/** Starts up to 60 background sleeps, printing the count after each; ash exits 2 on "can't fork". */
const FORK = 'n=0; while [ $n -lt 60 ]; do sleep 30 & n=$((n + 1)); echo "forked=$n"; done';

/** The last count a FORK app printed. */
function forkedCount(text: string): number {
  return Number([...text.matchAll(/forked=(\d+)/g)].at(-1)?.[1] ?? Number.NaN);
}

interface Burn {
  readonly cpu: number;
  readonly wall: number;
  readonly quota: number;
  readonly throttled: number;
}

function parseBurn(text: string): Burn {
  const field = (name: string): number => {
    const value = new RegExp(`(?:^|\\s)${name}=(-?\\d+)`).exec(text)?.[1];
    assert.ok(value !== undefined, `no ${name}= in the app's report:\n${text}`);
    return Number(value);
  };
  return { cpu: field('cpu'), wall: field('wall'), quota: field('quota'), throttled: field('nr_throttled') };
}

/** 200m of CPU: at most a fifth of the wall time; half of it leaves room for accounting slack. */
function assertThrottled(burn: Burn, report: string): void {
  assert.equal(burn.quota, 20_000, `cfs quota of 200m per 100 ms period: ${report}`);
  assert.ok(burn.wall >= 190, `the loop ran ~2 s of wall time: ${report}`);
  assert.ok(burn.throttled > 0, `the cgroup was throttled: ${report}`);
  assert.ok(burn.cpu <= burn.wall * 0.4, `the loop got well under its wall time of CPU (${burn.cpu}/${burn.wall} ticks): ${report}`);
}

describe('e2e: cpu and pids limits', () => {
  let fx: RuntimeFixture;
  let manager: SystemdManager;
  const started: UnitName[] = [];
  before(async () => {
    fx = await RuntimeFixture.create('e2e-limits');
    manager = await connectSystemd({ address: fx.sd.busAddress });
  });
  after(async () => {
    for (const unit of started.reverse()) await manager?.stopUnit(unit).catch(() => undefined);
    await manager?.close();
    await fx?.dispose();
  });

  it('rocklet run --cpu=200m: the busy loop is throttled to its quota (crun, cgroupfs)', async (t) => {
    const aci = path.join(fx.tmp.path, 'burner.aci');
    await buildTestAci(aci, { name: 'example.com/burner' });
    const uuidFile = path.join(fx.tmp.path, 'burner.uuid');
    const result = await fx.rocklet([
      '--insecure-options=image', 'run', '--net=none', `--uuid-file-save=${uuidFile}`, aci, '--cpu=200m', '--exec=/bin/sh', '--', '-c', BURN,
    ], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    t.diagnostic(`standalone --cpu=200m: ${result.stdout.trim().replace(/\n/g, ' ')}`);
    assertThrottled(parseBurn(result.stdout), result.stdout);
    assert.deepEqual(await fx.leftovers((await readFile(uuidFile, 'utf8')).trim()), []);
  });

  it('a pids limit stops forks past it (standalone): the app sees "can\'t fork" and status records its exit', async () => {
    const { uuid } = await fx.prepare(podPlan([fx.app('forker', ['sh', '-c', FORK], { resources: { pids: PIDS } })], { net: 'none' }));
    const result = await fx.rocklet(['run-prepared', uuid]);
    assert.equal(result.code, 2, `the shell gave up when a fork failed: ${result.stdout} ${result.stderr}`);
    assert.match(result.stderr, /can't fork/);
    const forked = forkedCount(result.stdout);
    assert.ok(forked > 0 && forked < PIDS, `fewer than ${PIDS} tasks in the app's cgroup (the shell counts too): forked=${forked}`);
    assert.match((await fx.rocklet(['status', uuid])).stdout, /app-forker=2/);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });

  it('as units: CPUQuotaPerSecUSec= throttles and TasksMax= stops forks', async (t) => {
    const outDir = path.join(fx.tmp.path, 'unit-out');
    await mkdir(outDir, { recursive: true });
    const out = { volume: 'out', mountPath: '/out', readOnly: false };
    const burner = fx.app('burner', ['sh', '-c', `(${BURN}) > /out/burner 2>&1`], { resources: { cpuMillicores: 200 }, mounts: [out] });
    const forker = fx.app('forker', ['sh', '-c', `(${FORK}) > /out/forker 2>&1`], { resources: { pids: PIDS }, mounts: [out] });
    const plan = podPlan([burner, forker], { net: 'none', volumes: [{ name: 'out', kind: 'host', source: outDir, readOnly: false, recursive: false }] });
    const { uuid } = await fx.prepare(plan);
    const units = podUnits({
      uuid, plan, store: podStore(fx.dataDir), podName: `rltest${process.pid}lim`, rocklet: fx.rockletArgv(), crun: '/usr/bin/crun', unitName: parseUnitName, environment: fx.unitEnvironment(),
    });
    started.push(units.sandbox.name);
    assert.equal((await manager.startTransientUnit(units.sandbox.name, units.sandbox.properties)).result, 'done', await fx.sd.journal(units.sandbox.name));
    for (const app of units.apps) {
      started.push(app.name);
      assert.equal((await manager.startTransientUnit(app.name, app.properties)).result, 'done', await fx.sd.journal(app.name));
    }
    const unitOf = (app: string): UnitName => units.apps.find((a) => a.app === app)?.name ?? units.sandbox.name;
    assert.equal((await manager.getUnitProperties(unitOf('burner'))).cpuQuotaPerSecUSec, 200_000n);
    assert.equal((await manager.getUnitProperties(unitOf('forker'))).tasksMax, BigInt(PIDS));

    const runDir = path.join(fx.dataDir, 'pods/run', uuid);
    for (const [app, code] of [['burner', 0], ['forker', 2]] as const) {
      const exit = await waitFor(() => readAppExit(runDir, app as ACName), { timeoutMs: 30_000, intervalMs: 100 });
      assert.equal(exit?.code, code, await fx.sd.journal(unitOf(app)));
    }
    const burnReport = await readFile(path.join(outDir, 'burner'), 'utf8');
    t.diagnostic(`unit CPUQuotaPerSecUSec=200ms: ${burnReport.trim().replace(/\n/g, ' ')}`);
    assertThrottled(parseBurn(burnReport), burnReport);
    const forkReport = await readFile(path.join(outDir, 'forker'), 'utf8');
    assert.match(forkReport, /can't fork/);
    const forked = forkedCount(forkReport);
    assert.ok(forked > 0 && forked < PIDS, `fewer than TasksMax=${PIDS} tasks (crun's app and its shell count too): forked=${forked}`);

    assert.equal((await manager.stopUnit(units.sandbox.name)).result, 'done');
    assert.match((await fx.rocklet(['status', uuid])).stdout, /app-burner=0/);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });
});
