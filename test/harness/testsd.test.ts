import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { cgroupProcsRecursive, findNamedCgroups, listHierarchies } from './cgroup.js';
import { INSTANCE_ROOT } from './names.js';
import { instanceLeftovers, snapshotInstance } from './leftovers.js';
import { identify, isAlive, waitFor } from './proc.js';
import type { TestSystemd } from './testsd.js';
import { bootTestSystemd, resolveCgroupMode, systemState } from './testsd.js';

/** Stops `sd` and asserts that no process, cgroup, mount or dir of it remains. */
async function stopAndAssertGone(sd: TestSystemd): Promise<void> {
  const snap = await snapshotInstance(sd);
  assert.ok(snap.processes.length >= 3, `systemd, journald and dbus-daemon recorded: ${JSON.stringify(snap.processes)}`);
  assert.ok(snap.cgroups.length >= 1);
  await sd.stop();
  assert.deepEqual(await instanceLeftovers(snap), []);
}

async function runTrue(sd: TestSystemd): Promise<void> {
  const result = await sd.exec(['systemd-run', '--wait', '-q', '/bin/true']);
  assert.equal(result.code, 0, result.stderr);
}

describe('bootTestSystemd', () => {
  it('boots twice in a row; each instance runs a unit and leaves nothing behind', async () => {
    for (let round = 0; round < 2; round += 1) {
      const sd = await bootTestSystemd();
      try {
        assert.match(sd.name, /^testsd-rl-\d+-\d+$/);
        assert.ok(['running', 'degraded'].includes((await systemState(sd.busAddress)) ?? ''));
        await runTrue(sd);
      } finally {
        await stopAndAssertGone(sd);
      }
    }
  });

  it('runs two instances at once, each with its own units and cgroups', async () => {
    const [a, b] = await Promise.all([bootTestSystemd(), bootTestSystemd()]);
    try {
      assert.notEqual(a.name, b.name);
      assert.notEqual(a.busAddress, b.busAddress);
      await Promise.all([runTrue(a), runTrue(b)]);
      assert.equal((await a.exec(['systemd-run', '--unit=rltest-only-in-a', '/bin/sleep', '600'])).code, 0);
      assert.equal((await a.exec(['systemctl', 'is-active', 'rltest-only-in-a.service'])).stdout.trim(), 'active');
      assert.equal((await b.exec(['systemctl', 'is-active', 'rltest-only-in-a.service'])).stdout.trim(), 'inactive');
      const procA = await readFile(`/proc/${a.pid}/cgroup`, 'utf8');
      assert.match(procA, new RegExp(`0::/${a.name}/init\\.scope`));
    } finally {
      await Promise.all([stopAndAssertGone(a), stopAndAssertGone(b)]);
    }
  });

  it('gives the instance its own network namespace when asked', async () => {
    const sd = await bootTestSystemd({ privateNetwork: true });
    try {
      const links = await sd.exec(['ip', '-o', 'link', 'show']);
      assert.equal(links.code, 0, links.stderr);
      assert.deepEqual(links.stdout.trim().split('\n').map((l) => l.split(':')[1]?.trim()), ['lo']);
      await runTrue(sd);
    } finally {
      await stopAndAssertGone(sd);
    }
  });

  it('boots in unified mode on request', async () => {
    const sd = await bootTestSystemd({ mode: 'unified' });
    try {
      assert.equal(sd.mode, 'unified');
      const fs = await sd.exec(['stat', '-f', '-c', '%T', '/sys/fs/cgroup']);
      assert.equal(fs.stdout.trim(), 'cgroup2fs');
      await runTrue(sd);
    } finally {
      await stopAndAssertGone(sd);
    }
  });

  it('cleans up after a boot that fails', async () => {
    const mine = async (): Promise<string[]> => [
      ...(await readdir(INSTANCE_ROOT).catch(() => [] as string[])).filter((n) => n.startsWith(`testsd-rl-${process.pid}-`)),
      ...(await findNamedCgroups((n) => n.startsWith(`testsd-rl-${process.pid}-`))).map((cg) => cg.path),
    ];
    assert.deepEqual(await mine(), []);
    await assert.rejects(bootTestSystemd({ timeoutMs: 1 }), /private systemd/);
    assert.deepEqual(await mine(), []);
  });

  it('refuses hybrid mode on a pure cgroup-v2 host and picks unified there', () => {
    const pureV2 = [{ fsType: 'cgroup2' as const, mountPoint: '/sys/fs/cgroup', controllers: [], ownPath: '/' }];
    assert.equal(resolveCgroupMode('auto', pureV2), 'unified');
    assert.throws(() => resolveCgroupMode('hybrid', pureV2), /hybrid cgroup mode needs v1 controllers/);
  });

  it('picks hybrid mode automatically where v1 controllers are mounted, unified otherwise', async () => {
    const hierarchies = await listHierarchies();
    const hasV1Memory = hierarchies.some((h) => h.fsType === 'cgroup' && h.controllers.includes('memory'));
    assert.equal(resolveCgroupMode('auto', hierarchies), hasV1Memory ? 'hybrid' : 'unified');
  });
});

describe('a running test systemd', () => {
  let sd: TestSystemd;
  before(async () => {
    sd = await bootTestSystemd();
  });
  after(async () => {
    await sd.stop();
  });

  it('runs systemd-run --wait /bin/true inside', async () => {
    await runTrue(sd);
  });

  it('reports a unit that exits 3 as failed with status 3', async () => {
    const run = await sd.exec(['systemd-run', '--unit=rltest-exit3', '--wait', '-q', '/bin/sh', '-c', 'exit 3']);
    assert.equal(run.code, 3);
    const show = await sd.exec(['systemctl', 'show', 'rltest-exit3.service', '-p', 'ActiveState', '-p', 'Result', '-p', 'ExecMainStatus']);
    assert.deepEqual(show.stdout.trim().split('\n').sort(), ['ActiveState=failed', 'ExecMainStatus=3', 'Result=exit-code']);
  });

  it("shows a unit's output in its journal", async () => {
    const token = `hello-from-${sd.name}`;
    assert.equal((await sd.exec(['systemd-run', '--unit=rltest-echo', '--wait', '-q', '/bin/echo', token])).code, 0);
    const journal = await waitFor(async () => {
      const text = await sd.journal('rltest-echo.service');
      return text.includes(token) ? text : undefined;
    }, { timeoutMs: 30_000 });
    assert.ok(journal !== undefined, 'the token reached the journal');
    assert.ok(!(await sd.journal('rltest-exit3.service')).includes(token), 'journal is filtered by unit');
  });

  it('sees only its own unit files', async () => {
    const files = await sd.exec(['systemctl', 'list-unit-files', '--no-legend', '--type=service']);
    assert.equal(files.code, 0, files.stderr);
    const names = files.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    assert.ok(names.includes('dbus.service'));
    assert.ok(!names.some((n) => n === 'getty@.service' || n === 'systemd-udevd.service'), names.join(' '));
  });

  it('keeps a transient unit loaded, with its properties, across a daemon-reload', async () => {
    const started = await sd.exec(['systemd-run', '--unit=rltest-reload', '--description=kept across reloads', '/bin/sleep', '1000']);
    assert.equal(started.code, 0, started.stderr);
    const props = async (): Promise<string> =>
      (await sd.exec(['systemctl', 'show', '-p', 'LoadState', '-p', 'Description', '-p', 'ActiveState', 'rltest-reload.service'])).stdout.trim();
    const before = await props();
    assert.equal((await sd.exec(['systemctl', 'daemon-reload'])).code, 0);
    assert.equal(await props(), before);
    assert.match(before, /LoadState=loaded/);
    assert.match(before, /Description=kept across reloads/);
    assert.equal((await sd.exec(['systemctl', 'stop', 'rltest-reload.service'])).code, 0);
  });

  it('keeps journal and console away from the host', async () => {
    const mounts = await sd.exec(['findmnt', '-n', '-o', 'TARGET,FSTYPE', '/run']);
    assert.match(mounts.stdout, /^\/run\s+tmpfs$/m);
    const consoleMount = await sd.exec(['findmnt', '-n', '-o', 'SOURCE', '/dev/console']);
    assert.match(consoleMount.stdout, /console\.log/);
    const storage = await sd.exec(['sh', '-c', 'ls /run/log/journal/*/system.journal']);
    assert.equal(storage.code, 0, 'journal is in the instance /run');
  });

  it('maps a unit to host PIDs and cgroup dirs, with v1 limits applied in hybrid mode', async () => {
    const start = await sd.exec(['systemd-run', '--unit=rltest-sleep', '-p', 'MemoryMax=32M', '-p', 'TasksMax=7', '/bin/sleep', '600']);
    assert.equal(start.code, 0, start.stderr);
    const pids = await waitFor(async () => {
      const list = await sd.unitPids('rltest-sleep.service');
      return list.length > 0 ? list : undefined;
    }, { timeoutMs: 30_000 });
    assert.equal(pids?.length, 1);
    assert.equal((await readFile(`/proc/${pids?.[0] ?? 0}/comm`, 'utf8')).trim(), 'sleep');
    assert.match(sd.unitCgroupDir('rltest-sleep.service'), new RegExp(`/${sd.name}/system\\.slice/rltest-sleep\\.service$`));
    if (sd.mode === 'hybrid') {
      const limit = await readFile(`${sd.unitCgroupDir('rltest-sleep.service', 'memory')}/memory.limit_in_bytes`, 'utf8');
      assert.equal(limit.trim(), String(32 * 1024 * 1024));
      const tasks = await readFile(`${sd.unitCgroupDir('rltest-sleep.service', 'pids')}/pids.max`, 'utf8');
      assert.equal(tasks.trim(), '7');
    }
  });

  it('stops idempotently and leaves no process, cgroup, mount or dir', async () => {
    const snap = await snapshotInstance(sd);
    const sleepPid = (await sd.unitPids('rltest-sleep.service'))[0];
    assert.ok(sleepPid !== undefined);
    assert.ok(snap.processes.some((p) => p.pid === sleepPid), 'the unit process is part of the snapshot');
    const systemd = await identify(sd.pid);
    assert.ok(systemd !== undefined);
    await Promise.all([sd.stop(), sd.stop()]);
    await sd.stop();
    assert.equal(await isAlive(systemd), false);
    assert.deepEqual(await cgroupProcsRecursive(sd.unitCgroupDir('-.slice')), []);
    assert.deepEqual(await instanceLeftovers(snap), []);
  });
});
