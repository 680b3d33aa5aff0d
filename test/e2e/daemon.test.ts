/**
 * e2e: `rocklet daemon` in a private test systemd, real D-Bus and crun pods. A dropped file
 * runs; an edit updates the pod exactly once; an invalid edit keeps the last good version
 * running untouched; editor leftovers change nothing; deleting the file stops the pod; the
 * daemon restarted or stopped leaves running pods alone (same InvocationID and main PID) and
 * adopts them; `rocklet plan` tells what would change; a second daemon refuses to start.
 */
import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/index.js';
import { DaemonFixture, podYaml } from '../daemon/fixture.js';

// A second start in the same rootfs would find the marker: every start must be fresh.
const SLEEPER = 'test -e /marker && exit 9; touch /marker; echo started; exec sleep 1000';

describe('e2e: rocklet daemon', () => {
  let d: DaemonFixture;
  before(async () => {
    d = await DaemonFixture.create('e2e-daemon');
  });
  after(() => d?.dispose());

  it('starts a dropped pod file, reports it, and becomes ready', async () => {
    await d.writePod('web.yaml', podYaml('web', SLEEPER));
    const started = await d.startDaemon();
    assert.equal(started.code, 0, `${started.stderr}\n${await d.daemonLog()}`);
    const row = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
    assert.equal(row.pod, 'web');
    assert.deepEqual(row.ready, { ready: 1, total: 1 });
    const units = await d.podUnits();
    assert.equal(units.get('rocklet-web.service'), 'active');
    assert.equal(units.get('rocklet-web_main.service'), 'active');
    const env = await d.unitProps('rocklet-web_main.service', ['Environment']);
    assert.match(env.Environment ?? '', /ROCKLET_POD_FILE=web\.yaml/);
    assert.match(env.Environment ?? '', new RegExp(`ROCKLET_SPEC_HASH=${row.hash ?? 'none'}`));
    const status = await d.fx.exec(['systemctl', 'status', '--no-pager', 'rocklet-web.slice']);
    assert.match(status.stdout, /sleep 1000/, 'the slice shows the pod\'s processes');
    // The daemon brought the pod up in-process; its lock holder now belongs to the sandbox unit.
    const holders = [];
    for (const pid of await d.fx.sd.unitPids('rocklet-web.service')) {
      if ((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim() === 'sleep infinity') holders.push(pid);
    }
    assert.equal(holders.length, 1, 'one lock holder in the sandbox unit');
    assert.match((await d.rocklet(['status', row.uuid ?? ''])).stdout, /state=running/);
    const pods = await d.pods();
    assert.equal(pods.daemon.running, true);
    assert.equal(pods.daemon.ready, true);
    const table = await d.rocklet(['pods']);
    assert.match(table.stdout, /^FILE\s+POD\s+STATE\s+READY\s+RESTARTS\s+AGE\s+REASON$/m);
    assert.match(table.stdout, /^web\.yaml\s+web\s+Running\s+1\/1\s+0\s/m);
  });

  it('gives an app unit restarted by systemd a fresh rootfs', async () => {
    const restarted = await d.fx.exec(['systemctl', 'restart', 'rocklet-web_main.service']);
    assert.equal(restarted.code, 0, restarted.stderr);
    const started = await waitFor(async () => {
      const journal = await d.fx.sd.journal('rocklet-web_main.service');
      return journal.split('\n').filter((line) => line === 'started').length === 2 ? journal : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    assert.ok(started !== undefined, await d.fx.sd.journal('rocklet-web_main.service'));
    assert.equal((await d.unitProps('rocklet-web_main.service', ['ActiveState'])).ActiveState, 'active');
    await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
  });

  it('leaves editor leftovers alone and keeps the last good version on an invalid edit', async () => {
    const before = await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']);
    await writeFile(path.join(d.podDir, '.web.yaml.swp'), 'garbage');
    await writeFile(path.join(d.podDir, 'web.yaml.bak'), podYaml('web', 'exit 3'));
    await writeFile(path.join(d.podDir, '4913'), '');
    await d.writePod('web.yaml', podYaml('web', SLEEPER).replace('containers:', 'containerz:'));
    const row = await d.waitForRow('web.yaml', (r) => r.state === 'Invalid');
    assert.match(row.reason ?? '', /web\.yaml:\d+:\d+: /, 'the reason names file:line:column');
    assert.match(row.reason ?? '', /last good version keeps running/);
    const afterEdit = await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID', 'ActiveState']);
    assert.equal(afterEdit.ActiveState, 'active');
    assert.equal(afterEdit.InvocationID, before.InvocationID);
    assert.equal(afterEdit.MainPID, before.MainPID);
    const rows = (await d.pods()).pods.map((r) => r.file);
    assert.deepEqual(rows, ['web.yaml'], 'leftovers are no pod files');
    const log = await d.daemonLog();
    assert.match(log, /ignoring \.web\.yaml\.swp/);
    assert.match(log, /ignoring web\.yaml\.bak/);
    assert.match(log, /ignoring 4913/);
  });

  it('updates a changed pod exactly once', async () => {
    const old = await d.row('web.yaml');
    await d.writePod('web.yaml', podYaml('web', 'echo v2; exec sleep 1001'));
    const row = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.uuid !== old?.uuid && r.ready?.ready === 1);
    assert.notEqual(row.hash, old?.hash);
    const status = await d.fx.exec(['systemctl', 'status', '--no-pager', 'rocklet-web.slice']);
    assert.match(status.stdout, /sleep 1001/);
    assert.doesNotMatch(status.stdout, /sleep 1000/, 'the old version is gone');
    const log = await d.daemonLog();
    assert.equal(log.split('\n').filter((line) => line.includes('updating pod web')).length, 1, log);
    const listed = await d.rocklet(['status', old?.uuid ?? '']);
    assert.match(listed.stdout, /state=exited/, 'the old pod exited');
  });

  it('plans nothing while in sync, and shows a pending edit as an update', async () => {
    const plan = await d.rocklet(['plan', `--pod-dir=${d.podDir}`, '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /^adopt\s+web\.yaml\s+web\s/m);
    assert.match(plan.stdout, /no changes/);
    // SIGHUP (systemctl reload): a full resync that changes nothing.
    const before = await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']);
    const reloads = async (): Promise<number> => (await d.daemonLog()).split('\n').filter((line) => line.includes('read the fetch settings of config.yaml again')).length;
    const reloadsBefore = await reloads();
    const hup = await d.fx.exec(['systemctl', 'kill', '--signal=SIGHUP', '--kill-who=main', 'rocklet.service']);
    assert.equal(hup.code, 0, hup.stderr);
    // The resync's own work has begun (it reads config.yaml first); give it time to act.
    assert.ok(await waitFor(async () => ((await reloads()) > reloadsBefore ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await d.waitForRow('web.yaml', (r) => r.state === 'Running');
    assert.deepEqual(await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']), before);
    const refused = await d.rocklet(['daemon', `--pod-dir=${d.podDir}`]);
    assert.equal(refused.code, 254);
    assert.match(refused.stderr, /another rocklet daemon is running \(pid \d+\)/);
  });

  it('keeps pods running across a daemon restart and stop, and adopts them', async () => {
    const before = await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']);
    const uuid = (await d.row('web.yaml'))?.uuid ?? '';
    const restarted = await d.fx.exec(['systemctl', 'restart', 'rocklet.service']);
    assert.equal(restarted.code, 0, restarted.stderr);
    await d.waitForRow('web.yaml', (r) => r.state === 'Running');
    await d.stopDaemon();
    const pods = await d.pods();
    assert.equal(pods.daemon.running, false);
    const table = await d.rocklet(['pods']);
    assert.match(table.stderr, /the rocklet daemon is not running/);
    const afterStop = await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID', 'ActiveState']);
    assert.equal(afterStop.ActiveState, 'active');
    assert.equal(afterStop.InvocationID, before.InvocationID);
    assert.equal(afterStop.MainPID, before.MainPID);
    // While the daemon is down, an edit is pending: plan says so (exit 2).
    await d.writePod('web.yaml', podYaml('web', 'echo v3; exec sleep 1002'));
    const plan = await d.rocklet(['plan', `--pod-dir=${d.podDir}`, '--detailed-exitcode']);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /^update\s+web\.yaml\s+web\s/m);
    assert.match(plan.stdout, /~ containers\[main\]\.command/);
    // A pod the daemon prepared carries its marker; one a killed daemon prepared and never
    // started is removed at the next start, one `rocklet prepare` made is kept.
    assert.ok(await stat(path.join(d.fx.dataDir, 'pods/run', uuid, 'daemon-prepared')).then(() => true, () => false));
    const prepare = async (): Promise<string> => {
      const made = await d.fx.rocklet(['--insecure-options=image', 'prepare', '--net=none', d.busyboxId]);
      assert.equal(made.code, 0, made.stderr);
      return made.stdout.trim();
    };
    const abandoned = await prepare();
    const kept = await prepare();
    await writeFile(path.join(d.fx.dataDir, 'pods/prepared', abandoned, 'daemon-prepared'), '');
    const started = await d.startDaemon();
    assert.equal(started.code, 0, started.stderr);
    assert.equal((await d.fx.rocklet(['status', abandoned])).code, 254, 'the abandoned prepare is gone');
    assert.match((await d.fx.rocklet(['status', kept])).stdout, /state=prepared/);
    assert.match(await d.daemonLog(), new RegExp(`removed pod ${abandoned}: prepared by an earlier run of the daemon and never started`));
    const status = await waitFor(async () => {
      const shown = await d.fx.exec(['systemctl', 'status', '--no-pager', 'rocklet-web.slice']);
      return shown.stdout.includes('sleep 1002') ? shown : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    assert.ok(status !== undefined, await d.daemonLog());
  });

  it('reconnects when the bus goes away and comes back, touching no pod', async () => {
    const before = await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']);
    const daemonBefore = await d.unitProps('rocklet.service', ['MainPID']);
    const restarted = await d.fx.exec(['systemctl', 'restart', 'dbus.service']);
    assert.equal(restarted.code, 0, restarted.stderr);
    const back = await waitFor(async () => {
      const log = await d.daemonLog();
      return /lost the connection to systemd[\s\S]*"action":"ready"/.test(log) ? log : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    assert.ok(back !== undefined, await d.daemonLog());
    assert.deepEqual(await d.unitProps('rocklet.service', ['MainPID']), daemonBefore, 'the same daemon process reconnected');
    assert.deepEqual(await d.unitProps('rocklet-web_main.service', ['InvocationID', 'MainPID']), before, 'the pod was not touched');
    // Events flow again: an edit applies (the new version's row has another pod UUID).
    const old = await d.row('web.yaml');
    await d.writePod('web.yaml', podYaml('web', 'echo v4; exec sleep 1003'));
    const row = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.uuid !== old?.uuid && r.ready?.ready === 1, 60_000);
    const status = await d.fx.exec(['systemctl', 'status', '--no-pager', 'rocklet-web.slice']);
    assert.match(status.stdout, /sleep 1003/, JSON.stringify(row));
  });

  it('finishes the cleanup of a stop a killed daemon began, and drops the marker of a stop that never happened', async () => {
    const row = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
    const uuid = row.uuid ?? '';
    const marker = path.join(d.fx.dataDir, 'pods/run', uuid, 'stopping-by-caller');
    const exists = (file: string): Promise<boolean> => stat(file).then(() => true, () => false);
    // Killed after leaving its marker, before the stop job: the units run on, the pod is adopted.
    const before = await d.unitProps('rocklet-web_main.service', ['InvocationID']);
    await d.stopDaemon();
    await writeFile(marker, '');
    assert.equal((await d.startDaemon()).code, 0);
    await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.uuid === uuid);
    assert.equal(await exists(marker), false, 'the marker of a stop that never happened is removed');
    assert.deepEqual(await d.unitProps('rocklet-web_main.service', ['InvocationID']), before, 'adopted, not restarted');
    // Killed after its units stopped, before its own cleanup: their ExecStopPost= skipped `pod
    // down` (the marker), so the pod is still in run/ with its mounts; the next daemon takes it down.
    await d.stopDaemon();
    await writeFile(marker, '');
    const stopped = await d.fx.exec(['systemctl', 'stop', 'rocklet-web.service']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(await exists(path.join(d.fx.dataDir, 'pods/run', uuid)), true, 'the units left the cleanup to the daemon');
    assert.equal((await d.startDaemon()).code, 0);
    const again = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.uuid !== uuid);
    assert.match(await d.daemonLog(), new RegExp(`took pod ${uuid} down: an earlier run of the daemon stopped its units`));
    assert.equal(await exists(path.join(d.fx.dataDir, 'pods/run', uuid)), false);
    assert.deepEqual(await d.fx.leftovers(uuid), [], 'nothing of the old pod is left');
    assert.notEqual(again.uuid, undefined);
  });

  it('an operator\'s stop while the daemon is down: the app\'s exit is recorded, pod down releases everything, the next daemon starts the pod again', async () => {
    const row = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.ready?.ready === 1);
    const uuid = row.uuid ?? '';
    await d.stopDaemon();
    const stopped = await d.fx.exec(['systemctl', 'stop', 'rocklet-web.slice']);
    assert.equal(stopped.code, 0, stopped.stderr);
    // The sandbox's ExecStopPost= (`rocklet pod down`) released the crun container and the
    // rootfs the app unit's stop left for it, and marked the pod exited.
    const exited = path.join(d.fx.dataDir, 'pods/exited-garbage', uuid);
    assert.equal(await stat(exited).then(() => true, () => false), true, 'pod down ran');
    assert.match(await readFile(path.join(exited, 'status', 'main'), 'utf8'), /^(143|137)\n$/, 'the app unit recorded how the app ended');
    assert.deepEqual(await d.fx.leftovers(uuid), [], 'no container, mount or namespace file is left');
    assert.equal((await d.startDaemon()).code, 0);
    const again = await d.waitForRow('web.yaml', (r) => r.state === 'Running' && r.uuid !== uuid);
    assert.notEqual(again.uuid, undefined);
  });

  it('stops the pod of a deleted file and leaves nothing behind', async () => {
    const row = await d.waitForRow('web.yaml', (r) => r.state === 'Running');
    await rm(path.join(d.podDir, 'web.yaml'));
    const gone = await waitFor(async () => ((await d.podUnits()).size === 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
    assert.ok(gone, `units left: ${JSON.stringify([...(await d.podUnits())])}\n${await d.daemonLog()}`);
    assert.equal(await d.row('web.yaml'), undefined);
    assert.deepEqual(await d.fx.leftovers(row.uuid ?? 'none'), []);
    // The daemon took the pod down in-process; the app unit's ExecStopPost= (`sh` builtins, no
    // Node) recorded how the app ended: SIGTERM, passed on by crun.
    assert.equal(await stat(path.join(d.fx.dataDir, 'pods/exited-garbage', row.uuid ?? 'none')).then(() => true, () => false), true, 'pod down ran');
    assert.match(await readFile(path.join(d.fx.dataDir, 'pods/exited-garbage', row.uuid ?? 'none', 'status', 'main'), 'utf8'), /^(143|137)\n$/);
  });
});
