/**
 * Integration tests of the SystemdManager against a private systemd booted by the harness.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { bootTestSystemd, type TestSystemd } from '../harness/index.js';
import { hasErrorCode, isErrorCategory } from '../../src/util/index.js';
import { type SystemdManager, type UnitName, type UnitStatus, connectSystemd, parseUnitName } from '../../src/systemd/index.js';
import { UnitRecorder, shell, sleepCommand } from './support.js';

const isFailed = (status: UnitStatus | undefined): boolean => status?.activeState === 'failed';

describe('SystemdManager against a test systemd', () => {
  let sd: TestSystemd;
  let manager: SystemdManager;
  const units = new UnitRecorder('mgr');

  before(async () => {
    sd = await bootTestSystemd();
    manager = await connectSystemd({ address: sd.busAddress });
  });

  // Each test's units are stopped and reset by recorded name, whether the test passed or not.
  afterEach(async () => {
    if (manager !== undefined) await units.cleanup(manager);
  });

  after(async () => {
    // Each step runs even if an earlier one failed, so the instance is always stopped.
    const steps = [
      async () => manager !== undefined && (await units.cleanup(manager)),
      async () => manager !== undefined && assert.deepEqual(await manager.listUnitsByPatterns([], [`${units.prefix}*`]), []),
      async () => manager !== undefined && (await manager.close()),
      async () => sd !== undefined && (await sd.stop()),
    ];
    const failures: unknown[] = [];
    for (const step of steps) await step().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, 'cleanup of the systemd manager tests failed');
  });

  it("queues a burst of calls past the bus daemon's pending-reply limit instead of having them refused", async () => {
    // dbus-daemon lets a connection have max_replies_per_connection (128) calls awaiting a reply
    // and refuses the rest with LimitsExceeded. A busy systemd answers slowly: a liveness restart
    // storm of 500 pods once hit the limit and its pods stayed "restarting". Here systemd (by its
    // recorded PID) is stopped while 400 calls are made, so every call waits for it.
    process.kill(sd.pid, 'SIGSTOP');
    let settled: Promise<PromiseSettledResult<unknown>[]>;
    try {
      settled = Promise.allSettled(Array.from({ length: 400 }, () => manager.listUnitsByPatterns([], [`${units.prefix}-burst-*`])));
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      process.kill(sd.pid, 'SIGCONT');
    }
    const outcomes = await settled;
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : []));
    assert.deepEqual(refused.slice(0, 2), [], `${refused.length} of 400 calls refused`);
    assert.ok(outcomes.every((outcome) => outcome.status === 'fulfilled' && Array.isArray(outcome.value) && outcome.value.length === 0));
  });

  it('starts a transient unit, reads its properties back, stops it and sees it gone', async () => {
    const name = units.name('sleep');
    const outcome = await manager.startTransientUnit(name, {
      description: 'facade test sleep',
      execStart: [sleepCommand(1000)],
      environment: { POD_ID: 'abc', SPACED: 'bar baz' },
      memoryMaxBytes: 64 * 1024 * 1024,
      tasksMax: 16,
    });
    assert.equal(outcome.result, 'done');
    assert.match(outcome.job, /^\/org\/freedesktop\/systemd1\/job\/\d+$/);

    const status = await manager.getUnitProperties(name);
    assert.equal(status.name, name);
    assert.equal(status.loadState, 'loaded');
    assert.equal(status.activeState, 'active');
    assert.equal(status.subState, 'running');
    assert.equal(status.description, 'facade test sleep');
    assert.equal(status.memoryMaxBytes, 67_108_864n);
    assert.equal(status.tasksMax, 16n);
    assert.deepEqual(status.environment, ['POD_ID=abc', 'SPACED=bar baz']);
    assert.deepEqual(
      status.execStart?.map(({ path, argv, ignoreFailure }) => ({ path, argv, ignoreFailure })),
      [{ path: '/bin/sleep', argv: ['/bin/sleep', '1000'], ignoreFailure: false }],
    );
    assert.ok((status.mainPid ?? 0) > 0, 'has a main PID');
    assert.match(status.invocationId ?? '', /^[0-9a-f]{32}$/);
    assert.equal(status.result, 'success');
    const hostPids = await sd.unitPids(name);
    assert.equal(hostPids.length, 1, `one process in the unit's cgroup, got ${hostPids.join(',')}`);

    const listed = await manager.listUnitsByPatterns(['active'], [`${units.prefix}sleep*`]);
    assert.deepEqual(
      listed.map((u) => [u.name, u.activeState, u.subState]),
      [[name, 'active', 'running']],
    );

    const stopped = await manager.stopUnit(name);
    assert.equal(stopped.result, 'done');
    // systemd unloads the inactive transient unit from its GC queue, possibly after the job ends.
    assert.equal(await manager.waitForUnitState(name, (s) => s === undefined, { timeoutMs: 20_000 }), undefined);
    assert.deepEqual(await manager.listUnitsByPatterns([], [`${units.prefix}sleep*`]), []);
    await assert.rejects(manager.getUnitProperties(name), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_UNIT_NOT_FOUND'));
      assert.ok(isErrorCategory(error, 'not-found'));
      assert.ok(error.message.includes(name), error.message);
      return true;
    });
    assert.deepEqual(await sd.unitPids(name), []);
  });

  it('reports a unit exiting with status 3 as failed with Result exit-code', async () => {
    const name = units.name('exit3');
    await manager.startTransientUnit(name, { execStart: [shell('exit 3')] });
    const status = await manager.waitForUnitState(name, isFailed, { timeoutMs: 20_000 });
    assert.equal(status?.activeState, 'failed');
    assert.equal(status?.result, 'exit-code');
    assert.equal(status?.execMainStatus, 3);
    assert.equal(status?.execMainCode, 'exited');
    const reread = await manager.getUnitProperties(name);
    assert.equal(reread.execMainStatus, 3);
    await manager.resetFailedUnit(name);
    await manager.waitForUnitState(name, (s) => s === undefined, { timeoutMs: 20_000 });
    await assert.rejects(manager.getUnitProperties(name), (e: unknown) => hasErrorCode(e, 'ERR_UNIT_NOT_FOUND'));
  });

  it('reports a nonexistent binary as exit status 203 (EXEC)', async () => {
    const name = units.name('noexec');
    const outcome = await manager.startTransientUnit(name, {
      execStart: [{ path: '/nonexistent/binary', argv: ['/nonexistent/binary'] }],
    });
    assert.equal(outcome.result, 'done', 'Type=simple reports success once forked');
    const status = await manager.waitForUnitState(name, isFailed, { timeoutMs: 20_000 });
    assert.equal(status?.result, 'exit-code');
    assert.equal(status?.execMainStatus, 203);
  });

  it('reports the failed start job of a Type=exec unit whose binary is missing', async () => {
    const name = units.name('typeexec');
    const outcome = await manager.startTransientUnit(name, {
      type: 'exec',
      execStart: [{ path: '/nonexistent/binary', argv: ['/nonexistent/binary'] }],
    });
    assert.equal(outcome.result, 'failed');
  });

  it('refuses to start the same unit name twice with ERR_UNIT_EXISTS', async () => {
    const name = units.name('twice');
    await manager.startTransientUnit(name, { execStart: [sleepCommand(1000)] });
    await assert.rejects(manager.startTransientUnit(name, { execStart: [sleepCommand(1000)] }), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_UNIT_EXISTS'));
      assert.ok(isErrorCategory(error, 'already-exists'));
      assert.ok(error.message.includes(name), error.message);
      assert.equal((error.cause as { type?: string }).type, 'org.freedesktop.systemd1.UnitExists');
      return true;
    });
  });

  it('refuses bad names: locally at parse time, and from systemd when the brand is bypassed', async () => {
    assert.throws(() => parseUnitName('bad name.service'), (e: unknown) => isErrorCategory(e, 'invalid-argument'));
    const smuggled = `${units.prefix}bad name.service` as UnitName;
    await assert.rejects(manager.startTransientUnit(smuggled, { execStart: [sleepCommand(1)] }), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_UNIT_INVALID'));
      assert.ok(isErrorCategory(error, 'invalid-argument'));
      assert.ok(error.message.includes(smuggled), error.message);
      assert.equal((error.cause as { type?: string }).type, 'org.freedesktop.DBus.Error.InvalidArgs');
      return true;
    });
  });

  it('maps systemd refusing a unit without ExecStart to ERR_UNIT_INVALID', async () => {
    const name = units.name('noexecstart');
    await assert.rejects(manager.startTransientUnit(name, { description: 'nothing to run' }), (e: unknown) =>
      hasErrorCode(e, 'ERR_UNIT_INVALID'),
    );
  });

  it('answers not-found for stop, kill and reset-failed of units that are not loaded', async () => {
    const name = units.name('ghost');
    for (const call of [manager.stopUnit(name), manager.killUnit(name, 'all', 'SIGTERM'), manager.resetFailedUnit(name)]) {
      await assert.rejects(call, (e: unknown) => hasErrorCode(e, 'ERR_UNIT_NOT_FOUND'));
    }
  });

  it('kills the main process with a signal, leaving the unit failed with Result signal', async () => {
    const name = units.name('kill');
    await manager.startTransientUnit(name, { execStart: [sleepCommand(1000)] });
    await manager.killUnit(name, 'main', 'SIGKILL');
    const status = await manager.waitForUnitState(name, isFailed, { timeoutMs: 20_000 });
    assert.equal(status?.result, 'signal');
    assert.equal(status?.execMainCode, 'killed');
    assert.equal(status?.execMainStatus, 9);
  });

  it('resolves every one of 50 concurrent starts of short units (JobRemoved may beat the reply)', { timeout: 60_000 }, async () => {
    const names = Array.from({ length: 50 }, (_, i) => units.name(`burst${i}`));
    const outcomes = await Promise.all(
      names.map((name) =>
        manager.startTransientUnit(name, { type: 'oneshot', execStart: [{ path: '/bin/true', argv: ['/bin/true'] }] }),
      ),
    );
    assert.deepEqual(
      outcomes.map((o) => o.result),
      names.map(() => 'done'),
    );
    assert.equal(new Set(outcomes.map((o) => o.job)).size, 50, 'fifty distinct jobs');
  });
});
