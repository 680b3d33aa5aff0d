/**
 * e2e: a two-app pod run exactly as the daemon will run it — transient units in a private test
 * systemd, made by unit-plan.ts and started through the src/systemd facade: the sandbox unit
 * (`rocklet pod up` / `pod down`), one unit per app (`rocklet app prepare`, `crun run` as the
 * resident ExecStart, `rocklet app cleanup`). Checks: the apps reach each other on localhost,
 * each app's exit status is recorded, a restarted app unit gets a fresh rootfs mount, stopping
 * the sandbox unit stops the apps and leaves no mount, netns, nft rule, IP lease or crun state.
 * An app over its MemoryMax= is killed and recorded as 137. Also measures the resident memory of the pod's processes (rocklet's own: none is left).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SystemdManager, UnitName } from '../../src/systemd/index.js';
import { connectSystemd, parseUnitName } from '../../src/systemd/index.js';
import type { PodUnits } from '../../src/pod/index.js';
import { podStore, podUnits, readAppExit } from '../../src/pod/index.js';
import type { ACName } from '../../src/image/index.js';
import { waitFor } from '../harness/index.js';
import { RuntimeFixture, podPlan } from '../pod/runtime/fixture.js';

const WEB = [
  'sh', '-c',
  // A second start in the same rootfs would find the marker: prove every start is fresh.
  'if [ -e /marker ]; then echo stale rootfs >&2; exit 9; fi; touch /marker; mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www',
];
const CLIENT = [
  'sh', '-c',
  'for i in $(seq 100); do printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc 127.0.0.1 8080 2>/dev/null | grep -q hello-from-web && exit 0; sleep 0.1; done; exit 3',
];

/** The mount ID of `target` in the instance's mount table (undefined when not mounted). */
async function mountId(sdPid: number, target: string): Promise<string | undefined> {
  const lines = (await readFile(`/proc/${sdPid}/mountinfo`, 'utf8')).split('\n');
  return lines.map((line) => line.split(' ')).find((fields) => fields[4] === target)?.[0];
}

describe('e2e: a pod as transient units', () => {
  let fx: RuntimeFixture;
  let manager: SystemdManager;
  const started: UnitName[] = [];
  before(async () => {
    fx = await RuntimeFixture.create('e2e-units');
    manager = await connectSystemd({ address: fx.sd.busAddress });
  });
  after(async () => {
    for (const unit of started.reverse()) {
      await manager?.stopUnit(unit).catch(() => undefined);
    }
    await manager?.close();
    await fx?.dispose();
  });

  async function activeState(unit: UnitName): Promise<string | undefined> {
    try {
      return (await manager.getUnitProperties(unit)).activeState;
    } catch {
      return undefined;
    }
  }

  it('runs, restarts and tears down a two-app pod', async (t) => {
    const hog = fx.app('hog', ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], { resources: { memoryBytes: 32 << 20 } });
    const plan = podPlan([fx.app('web', WEB, { stopTimeoutSeconds: 1, restart: 'Always' }), fx.app('client', CLIENT), hog]);
    const { uuid } = await fx.prepare(plan);
    const units: PodUnits<UnitName> = podUnits({
      uuid, plan, store: podStore(fx.dataDir), podName: `rltest${process.pid}`, rocklet: fx.rockletArgv(), crun: '/usr/bin/crun', unitName: parseUnitName, environment: fx.unitEnvironment(),
    });
    const runDir = path.join(fx.dataDir, 'pods/run', uuid);

    started.push(units.sandbox.name);
    assert.equal((await manager.startTransientUnit(units.sandbox.name, units.sandbox.properties)).result, 'done', await fx.sd.journal(units.sandbox.name));
    for (const app of units.apps) {
      started.push(app.name);
      assert.equal((await manager.startTransientUnit(app.name, app.properties)).result, 'done', await fx.sd.journal(app.name));
    }
    const status = await fx.rocklet(['status', uuid]);
    assert.match(status.stdout, /state=running/);
    assert.match(status.stdout, /networks=default:ip4=172\.16\.28\.\d+/);

    // The client reached web on localhost and exited 0: recorded by its ExecStopPost.
    const clientExit = await waitFor(() => readAppExit(runDir, 'client' as ACName), { timeoutMs: 20_000, intervalMs: 50 });
    assert.equal(clientExit?.code, 0, await fx.sd.journal(units.apps[1]?.name ?? units.sandbox.name));

    // The unit's MemoryMax= is enforced (hybrid test systemd): the hog is killed, its code recorded.
    const hogExit = await waitFor(() => readAppExit(runDir, 'hog' as ACName), { timeoutMs: 20_000, intervalMs: 50 });
    const hogUnit = units.apps.find((a) => a.app === 'hog')?.name ?? units.sandbox.name;
    assert.equal(hogExit?.code, 137, await fx.sd.journal(hogUnit));
    assert.equal((await manager.getUnitProperties(hogUnit)).memoryMaxBytes, BigInt(32 << 20));

    const web = units.apps.find((a) => a.app === 'web');
    assert.ok(web !== undefined);
    assert.equal(await activeState(web.name), 'active');
    const rootfs = path.join(runDir, 'apps/web/rootfs');
    assert.ok((await mountId(fx.sd.pid, rootfs)) !== undefined, 'web runs on its overlay rootfs');

    // Memory of the pod's processes while it runs: the holder, crun and the apps — no rocklet.
    const pids = [...(await fx.sd.unitPids(units.sandbox.name)), ...(await fx.sd.unitPids(web.name))];
    const rss: string[] = [];
    for (const pid of pids) {
      const text = await readFile(`/proc/${pid}/status`, 'utf8');
      const name = /^Name:\s+(\S+)/m.exec(text)?.[1] ?? '?';
      const pss = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? '?';
      rss.push(`${name}=${/^VmRSS:\s+(\d+) kB/m.exec(text)?.[1] ?? '?'}kB(pss ${pss}kB)`);
    }
    t.diagnostic(`pod processes (RSS): ${rss.join(' ')}`);
    assert.ok(!rss.some((entry) => entry.startsWith('node') || entry.startsWith('rocklet')), `no rocklet process stays resident: ${rss.join(' ')}`);

    // Restart the web unit: a fresh overlay rootfs (what the first run left is gone).
    await writeFile(path.join(`/proc/${fx.sd.pid}/root`, rootfs, 'left-by-first-run'), 'x');
    const restarted = await fx.exec(['systemctl', 'restart', web.name]);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.ok((await mountId(fx.sd.pid, rootfs)) !== undefined, 'the restarted unit runs on an overlay again');
    await assert.rejects(readFile(path.join(`/proc/${fx.sd.pid}/root`, rootfs, 'left-by-first-run')), { code: 'ENOENT' });
    const reach = await waitFor(async () => {
      const r = await fx.exec(['nsenter', `--net=/run/rocklet/netns/${uuid}`, 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | busybox nc 127.0.0.1 8080']);
      return r.stdout.includes('hello-from-web') ? r : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    assert.ok(reach !== undefined, `web answers again after its restart: ${await fx.sd.journal(web.name)}`);
    assert.equal(await activeState(web.name), 'active');
    const webExit = await readAppExit(runDir, 'web' as ACName);
    assert.ok(webExit !== undefined, 'the stopped first run of web was recorded');
    t.diagnostic(`web's first run ended with ${webExit.code}`);

    // enter works on a unit pod too (crun exec in the app's container).
    const entered = await fx.rocklet(['enter', '--app=web', uuid, 'hostname']);
    assert.equal(entered.code, 0, entered.stderr);
    assert.equal(entered.stdout, `rocklet-${uuid}\n`);

    // Stopping the sandbox stops the apps (BindsTo) and releases everything.
    assert.equal((await manager.stopUnit(units.sandbox.name)).result, 'done');
    assert.notEqual(await activeState(web.name), 'active');
    const exited = await fx.rocklet(['status', uuid]);
    assert.match(exited.stdout, /state=exited/);
    assert.match(exited.stdout, /app-client=0/);
    assert.match(exited.stdout, /app-web=\d+/);
    assert.match(exited.stdout, /app-hog=137/);
    assert.deepEqual(await fx.leftovers(uuid), []);
  });
});
