/**
 * e2e: the daemon killed with SIGKILL 20 times at random moments while pod files are added,
 * edited and removed (Nomad's TestClientState_Kill, kubernetes#109596). Afterwards the units
 * match the files exactly, the pods whose files never changed were never restarted (same
 * InvocationID and main PID), no orphan or duplicate unit is left, and once the daemon's gc
 * has run no pod that is not running holds a mount, netns file, lease or nft chain. Then
 * `/run/rocklet` is deleted while pods run: the daemon rebuilds its state from files and
 * units and restarts nothing. Last, the daemon is replaced by another install of rocklet (an
 * upgrade: a copy of the bundle and native helper elsewhere): it adopts every pod, restarting none.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep, waitFor, mulberry32 } from '../harness/index.js';
import { DaemonFixture, podYaml } from '../daemon/fixture.js';

const STABLE = ['stable-a', 'stable-b', 'stable-c'];
const CHURN = ['churn-a', 'churn-b', 'churn-c', 'churn-d'];
const KILLS = 20;


describe('e2e: rocklet daemon killed at random moments', () => {
  let d: DaemonFixture;
  before(async () => {
    d = await DaemonFixture.create('e2e-daemon-kill');
    await writeFile(path.join(d.configDir, 'config.yaml'), 'gc:\n  schedule: "*/2 * * * * *"\n  gracePeriod: 0s\n');
  });
  after(() => d?.dispose());

  async function appUnit(pod: string): Promise<Record<string, string>> {
    return d.unitProps(`rocklet-${pod}_main.service`, ['InvocationID', 'MainPID', 'ActiveState']);
  }

  it('converges to the files, restarts no unchanged pod and leaks nothing', async (t) => {
    const seed = Number(process.env.ROCKLET_KILL_SEED ?? Date.now() % 100_000);
    t.diagnostic(`seed ${seed} (ROCKLET_KILL_SEED=${seed} repeats this run)`);
    const rand = mulberry32(seed);
    for (const pod of STABLE) await d.writePod(`${pod}.yaml`, podYaml(pod, 'exec sleep 1000'));
    const started = await d.startDaemon([], { restartAlways: true });
    assert.equal(started.code, 0, started.stderr);
    for (const pod of STABLE) await d.waitForRow(`${pod}.yaml`, (r) => r.state === 'Running' && r.ready?.ready === 1);
    const stableBefore = new Map<string, Record<string, string>>();
    for (const pod of STABLE) stableBefore.set(pod, await appUnit(pod));

    const versions = new Map<string, number>();
    for (let kill = 0; kill < KILLS; kill++) {
      const pod = CHURN[Math.floor(rand() * CHURN.length)] ?? 'churn-a';
      const version = versions.get(pod);
      if (version === undefined) {
        versions.set(pod, 1);
        await d.writePod(`${pod}.yaml`, podYaml(pod, 'exec sleep 1001'));
      } else if (rand() < 0.5) {
        versions.set(pod, version + 1);
        await d.writePod(`${pod}.yaml`, podYaml(pod, `exec sleep ${1000 + version + 1}`));
      } else {
        versions.delete(pod);
        await rm(path.join(d.podDir, `${pod}.yaml`));
      }
      await sleep(Math.floor(rand() * 900));
      const before = (await d.unitProps('rocklet.service', ['NRestarts'])).NRestarts;
      const killed = await d.fx.exec(['systemctl', 'kill', '--signal=SIGKILL', '--kill-who=main', 'rocklet.service']);
      assert.equal(killed.code, 0, killed.stderr);
      const back = await waitFor(async () => {
        const props = await d.unitProps('rocklet.service', ['ActiveState', 'NRestarts']);
        return props.ActiveState === 'active' && props.NRestarts !== before ? props : undefined;
      }, { timeoutMs: 60_000, intervalMs: 50 });
      assert.ok(back !== undefined, `the daemon came back after kill ${kill + 1}:\n${await d.daemonLog()}`);
    }

    // Converged: nothing left to do, every file's pod running its last version.
    const converged = await waitFor(async () => {
      const plan = await d.rocklet(['plan', `--pod-dir=${d.podDir}`, '--detailed-exitcode']);
      return plan.code === 0 ? plan : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    assert.ok(converged !== undefined, `${(await d.rocklet(['plan', `--pod-dir=${d.podDir}`])).stdout}\n${await d.daemonLog()}`);
    const present = [...STABLE, ...versions.keys()];
    for (const pod of present) {
      await d.waitForRow(`${pod}.yaml`, (r) => r.state === 'Running' && r.ready?.ready === 1);
      const version = versions.get(pod);
      if (version !== undefined) {
        const status = await d.fx.exec(['systemctl', 'status', '--no-pager', `rocklet-${pod}.slice`]);
        assert.match(status.stdout, new RegExp(`sleep ${1000 + version}\\b`), `${pod} runs its last version`);
      }
    }
    for (const pod of STABLE) assert.deepEqual(await appUnit(pod), stableBefore.get(pod), `${pod} was never restarted`);
    const services = [...(await d.podUnits()).entries()].filter(([unit]) => unit.endsWith('.service')).map(([unit, state]) => `${unit}=${state}`).sort();
    const expected = present.flatMap((pod) => [`rocklet-${pod}.service=active`, `rocklet-${pod}_main.service=active`]).sort();
    assert.deepEqual(services, expected, 'exactly the units of the files, no orphan or duplicate');

    // The daemon's gc releases what pods killed mid-start held; nothing stays with a pod that is not running.
    let running = new Set<string>();
    let lastFound: string[] = [];
    const leaks = await waitFor(async () => {
      const listed = await d.fx.rocklet(['list', '--no-legend', '--full']);
      const found: string[] = [];
      running = new Set(); // the last look counts: a pod seen running earlier may have exited since
      for (const line of listed.stdout.split('\n').filter((l) => l.trim() !== '')) {
        const [uuid = '', , , , state = ''] = line.trim().split(/\s+/); // UUID APP IMAGE-NAME IMAGE-ID STATE …
        if (state === 'running') {
          running.add(uuid);
          continue;
        }
        found.push(...(await d.fx.leftovers(uuid)).map((what) => `${uuid}: ${what}`));
      }
      lastFound = found;
      return found.length === 0 ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    assert.ok(leaks, `no leaks: ${lastFound.join('; ')}\n${(await d.fx.rocklet(['list', '--full'])).stdout}`);
    assert.equal(running.size, present.length, 'one running pod per file');
  });

  it('rebuilds its state after /run/rocklet is deleted, restarting nothing', async () => {
    const pods = (await d.pods()).pods.filter((row) => row.state === 'Running').map((row) => row.pod ?? '');
    const before = new Map<string, Record<string, string>>();
    for (const pod of pods) before.set(pod, await appUnit(pod));
    await d.fx.exec(['rm', '-rf', '/run/rocklet/daemon']);
    const restarted = await d.fx.exec(['systemctl', 'restart', 'rocklet.service']);
    assert.equal(restarted.code, 0, restarted.stderr);
    // Rows the new daemon wrote: without its status file `rocklet pods` builds rows from the
    // units, which would say Running before the daemon rebuilt anything.
    const pid = Number((await d.unitProps('rocklet.service', ['MainPID'])).MainPID);
    const rebuilt = await waitFor(async () => {
      const shown = await d.pods();
      return shown.daemon.pid === pid && shown.daemon.ready ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    assert.ok(rebuilt, 'the restarted daemon is ready and writes the status');
    for (const pod of pods) await d.waitForRow(`${pod}.yaml`, (r) => r.state === 'Running' && !/no daemon status/.test(r.reason ?? ''));
    for (const pod of pods) assert.deepEqual(await appUnit(pod), before.get(pod), `${pod} was not restarted`);
  });

  it('is replaced by another install of rocklet (an upgrade) without restarting a pod', async () => {
    const pods = (await d.pods()).pods.filter((row) => row.state === 'Running').map((row) => row.pod ?? '');
    assert.ok(pods.length >= STABLE.length, 'pods to adopt');
    const before = new Map<string, Record<string, string>>();
    for (const pod of pods) before.set(pod, await appUnit(pod));
    // The "new version": rocklet's bundle and native helper copied to another prefix, with the
    // same dependencies (what install.sh lays out), started in place of the running daemon.
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const prefix = path.join(d.fx.tmp.path, 'upgrade');
    await mkdir(path.join(prefix, 'dist'), { recursive: true });
    await cp(path.join(root, 'dist', 'rocklet'), path.join(prefix, 'dist', 'rocklet'), { recursive: true });
    await cp(path.join(root, 'build', 'Release', 'linux_sys.node'), path.join(prefix, 'build', 'Release', 'linux_sys.node'));
    await cp(path.join(root, 'package.json'), path.join(prefix, 'package.json'));
    await symlink(path.join(root, 'node_modules'), path.join(prefix, 'node_modules'));
    const linesBefore = (await d.daemonLog()).split('\n').length;
    await d.stopDaemon();
    const started = await d.startDaemon([], { cliPath: path.join(prefix, 'dist', 'rocklet', 'main.js') });
    assert.equal(started.code, 0, started.stderr);
    const main = await d.unitProps('rocklet.service', ['ExecMainStartTimestamp', 'ExecStart']);
    assert.match(main.ExecStart ?? '', /upgrade\/dist\/rocklet\/main\.js/, 'the daemon runs from the new install');
    for (const pod of pods) await d.waitForRow(`${pod}.yaml`, (r) => r.state === 'Running');
    for (const pod of pods) assert.deepEqual(await appUnit(pod), before.get(pod), `${pod} was not restarted`);
    const log = (await d.daemonLog()).split('\n').slice(linesBefore).join('\n');
    assert.match(log, /"action":"ready"/, log);
    assert.doesNotMatch(log, /"action":"(start|update|stop)"/, 'the new daemon only adopted');
  });
});
