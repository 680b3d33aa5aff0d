/**
 * e2e: the daemon where PID 1 is not systemd — `rocklet host start|stop|status`, the pod commands
 * routed into the private systemd, `rocklet systemctl`/`journalctl`, and the faults: started
 * twice, its state dir deleted while it runs, stopped while pods run (nothing leaked, pods back
 * from their files at the next start). Runs the built CLI on the machine as a user would, with
 * ROCKLET_HOST_DIR=/run/rocklet/testsd-rl-<runner>-<n> (cgroups carry the harness name, so a
 * crashed run is swept), its own network namespace (the machine's network is not touched), and
 * its own data, config and pod dirs.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TempDir } from '../harness/index.js';
import { makeTempDir, systemState, waitFor } from '../harness/index.js';
import { findNamedCgroups } from '../harness/cgroup.js';
import { newInstanceName } from '../harness/names.js';
import { buildAppAci } from '../pod/runtime/aci.js';
import type { CliResult } from '../cli/run-cli.js';
import { runRocklet } from '../cli/run-cli.js';
import { podYaml } from '../daemon/fixture.js';
import type { PodsOutput } from '../daemon/fixture.js';
import { writePodFile } from './host-files.js';

describe('e2e: rocklet host (private systemd where PID 1 is not systemd)', async () => {
  const underSystemd = (await readFile('/proc/1/comm', 'utf8')).trim() === 'systemd';
  const name = newInstanceName();
  const hostDir = `/run/rocklet/${name}`;
  const env = { ...process.env, ROCKLET_HOST_DIR: hostDir };
  let tmp: TempDir;
  const dirs = { data: '', config: '', pods: '' };
  const rocklet = (args: readonly string[]): Promise<CliResult> =>
    runRocklet([`--dir=${dirs.data}`, `--config-dir=${dirs.config}`, ...args], { env });
  const pods = async (): Promise<PodsOutput> => {
    const listed = await rocklet(['--format=json', 'pods']);
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout) as PodsOutput;
  };
  const waitForState = async (file: string, state: string): Promise<void> => {
    let last: PodsOutput | undefined;
    const found = await waitFor(async () => {
      last = await pods();
      return last.pods.some((row) => row.file === file && row.state === state);
    }, { timeoutMs: 60_000, intervalMs: 200 });
    assert.ok(found === true, `${file} never ${state}: ${JSON.stringify(last)}`);
  };
  const leases = async (): Promise<string[]> => (await readdir(path.join(dirs.data, 'net/rocklet0')).catch(() => [])).filter((f) => /^\d+\./.test(f));

  before(async () => {
    if (underSystemd) return;
    tmp = await makeTempDir('host-mode');
    dirs.data = path.join(tmp.path, 'data');
    dirs.config = path.join(tmp.path, 'config');
    dirs.pods = path.join(tmp.path, 'pods');
    const aci = path.join(tmp.path, 'busybox.aci');
    await buildAppAci(aci, { name: 'docker.io/library/busybox', version: '1.36' });
    const fetched = await rocklet(['--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
    await writePodFile(dirs.pods, 'web.yaml', podYaml('web', 'echo web-started; exec sleep 100000'));
  });
  after(async () => {
    if (underSystemd) return;
    await rocklet(['host', 'stop', '--timeout=20s']);
    await rm(hostDir, { recursive: true, force: true });
    await tmp?.remove();
  });

  it('starts the daemon in a private systemd; the pod of a file runs; pods/systemctl/journalctl find it without flags', { skip: underSystemd && 'PID 1 is systemd here' }, async () => {
    const stopped = await rocklet(['host', 'status']);
    assert.equal(stopped.code, 3, 'status exits 3 while stopped');
    const started = await rocklet(['host', 'start', '--private-network', `--pod-dir=${dirs.pods}`]);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /rocklet\.service: active/);
    const bus = (await readFile(path.join(hostDir, 'bus'), 'utf8')).trim();
    assert.match(bus, /^unix:path=\/proc\/\d+\/root\/run\/dbus\/system_bus_socket$/);
    assert.equal(await systemState(bus), 'running', 'the recorded bus address answers from the machine');
    await waitForState('web.yaml', 'Running');
    const slice = await rocklet(['systemctl', 'is-active', 'rocklet-web.slice']);
    assert.equal(slice.stdout.trim(), 'active', slice.stderr);
    const journal = await rocklet(['journalctl', '-u', 'rocklet-web_main.service', '-o', 'cat', '--no-pager']);
    assert.match(journal.stdout, /web-started/);
  });

  it('refuses a second start and leaves the running one alone', { skip: underSystemd && 'PID 1 is systemd here' }, async () => {
    const before = (await pods()).pods.find((row) => row.file === 'web.yaml');
    const again = await rocklet(['host', 'start', '--private-network', `--pod-dir=${dirs.pods}`]);
    assert.equal(again.code, 254);
    assert.match(again.stderr, /the private systemd already runs \(pid \d+/);
    const after = (await pods()).pods.find((row) => row.file === 'web.yaml');
    assert.equal(after?.state, 'Running');
    assert.equal(after?.uuid, before?.uuid, 'the pod was not restarted');
  });

  it('still finds it after its state dir was deleted, says so, and stops it cleanly', { skip: underSystemd && 'PID 1 is systemd here' }, async () => {
    const uuid = (await pods()).pods.find((row) => row.file === 'web.yaml')?.uuid;
    assert.ok(uuid !== undefined);
    assert.ok((await leases()).length > 0, 'the running pod holds a lease');
    await rm(hostDir, { recursive: true, force: true });
    const status = await rocklet(['host', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /MISSING: deleted while it runs/);
    const listed = await rocklet(['list', '--no-legend']);
    assert.match(listed.stdout, new RegExp(`${uuid.slice(0, 8)}.*running`), 'the pod kept running');
    const refused = await rocklet(['host', 'start', '--private-network', `--pod-dir=${dirs.pods}`]);
    assert.equal(refused.code, 254);
    assert.match(refused.stderr, /was deleted while it ran/);
    const stopped = await rocklet(['host', 'stop', '--timeout=30s']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(await findNamedCgroups((base) => base === name), [], 'no cgroup of the instance is left');
    assert.deepEqual(await leases(), [], 'the pod released its address');
    const after = await runRocklet([`--dir=${dirs.data}`, 'list', '--no-legend'], { env: { ...env, ROCKLET_HOST: 'off' } });
    assert.doesNotMatch(after.stdout, new RegExp(`${uuid.slice(0, 8)}.*running`), 'the pod was stopped with the host');
    assert.equal((await rocklet(['host', 'status'])).code, 3);
  });

  it('brings the pods back from their files when started again, and stops cleanly while they run', { skip: underSystemd && 'PID 1 is systemd here' }, async () => {
    const started = await rocklet(['host', 'start', '--private-network', `--pod-dir=${dirs.pods}`]);
    assert.equal(started.code, 0, started.stderr);
    await waitForState('web.yaml', 'Running');
    const stopped = await rocklet(['host', 'stop', '--timeout=30s']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /stopped the private systemd and its pods/);
    assert.deepEqual(await findNamedCgroups((base) => base === name), []);
    assert.deepEqual(await leases(), []);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(name), 'no mount of the instance is left on the machine');
    const again = await rocklet(['host', 'stop']);
    assert.equal(again.code, 0, 'stopping a stopped host is not an error');
    assert.match(again.stderr, /was not running/);
  });

  it('rocklet systemctl says why it cannot work while the host is stopped', { skip: underSystemd && 'PID 1 is systemd here' }, async () => {
    const result = await rocklet(['systemctl', 'status']);
    assert.equal(result.code, 254);
    assert.match(result.stderr, /private systemd is not running/);
    assert.match(result.stderr, /rocklet host start/);
  });
});
