/**
 * Integration tests of the event subscription (PropertiesChanged, JobRemoved, UnitRemoved)
 * and of waitForUnitState, against a private systemd booted by the harness.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { bootTestSystemd, type TestSystemd } from '../harness/index.js';
import { hasErrorCode } from '../../src/util/index.js';
import { type SystemdEvent, type SystemdManager, type UnitName, connectSystemd } from '../../src/systemd/index.js';
import { UnitRecorder, shell, sleepCommand } from './support.js';

/** Collects the events of one unit until `done` says stop (checked on each event of that unit). */
function collect(manager: SystemdManager, unit: UnitName, done: (events: SystemdEvent[]) => boolean): Promise<SystemdEvent[]> {
  return new Promise((resolve, reject) => {
    const events: SystemdEvent[] = [];
    const off = manager.subscribe((event) => {
      if (event.type === 'disconnected') {
        off();
        reject(event.error);
        return;
      }
      if (event.type === 'protocol-error' || event.unit !== unit) return;
      events.push(event);
      if (done(events)) {
        off();
        resolve(events);
      }
    });
  });
}

const activeStates = (events: SystemdEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'unit-changed' && e.changes.activeState !== undefined ? [e.changes.activeState] : []));

describe('systemd events against a test systemd', () => {
  let sd: TestSystemd;
  let manager: SystemdManager;
  const units = new UnitRecorder('evt');

  before(async () => {
    sd = await bootTestSystemd();
    manager = await connectSystemd({ address: sd.busAddress });
  });

  // Each test's units are stopped and reset by recorded name, whether the test passed or not.
  afterEach(async () => {
    if (manager !== undefined) await units.cleanup(manager);
  });

  after(async () => {
    const steps = [
      async () => manager !== undefined && (await units.cleanup(manager)),
      async () => manager !== undefined && assert.deepEqual(await manager.listUnitsByPatterns([], [`${units.prefix}*`]), []),
      async () => manager !== undefined && (await manager.close()),
      async () => sd !== undefined && (await sd.stop()),
    ];
    const failures: unknown[] = [];
    for (const step of steps) await step().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, 'cleanup of the systemd event tests failed');
  });

  it('delivers ActiveState transitions of a unit through PropertiesChanged', { timeout: 30_000 }, async () => {
    const name = units.name('states');
    const untilInactive = collect(manager, name, (events) => activeStates(events).at(-1) === 'inactive' && activeStates(events).includes('active'));
    const started = await manager.startTransientUnit(name, { execStart: [sleepCommand(1000)] });
    await manager.stopUnit(name);
    const events = await untilInactive;
    const states = activeStates(events);
    assert.ok(states.indexOf('active') < states.lastIndexOf('inactive'), `active before inactive: ${states.join(' → ')}`);
    const jobs = events.flatMap((e) => (e.type === 'job-removed' ? [[e.job, e.result]] : []));
    assert.deepEqual(jobs[0], [started.job, 'done'], 'the start job was announced by JobRemoved');
    assert.ok(events.some((e) => e.type === 'unit-new'), 'UnitNew was delivered');
  });

  it('delivers UnitRemoved once a failed unit with CollectMode=inactive-or-failed is garbage-collected', { timeout: 30_000 }, async () => {
    const name = units.name('collected');
    const untilRemoved = collect(manager, name, (events) => events.some((e) => e.type === 'unit-removed'));
    await manager.startTransientUnit(name, { execStart: [shell('exit 3')], collectMode: 'inactive-or-failed' });
    const events = await untilRemoved;
    assert.ok(activeStates(events).includes('failed'), `went through failed: ${activeStates(events).join(' → ')}`);
    assert.equal(events.at(-1)?.type, 'unit-removed');
    await assert.rejects(manager.getUnitProperties(name), (e: unknown) => hasErrorCode(e, 'ERR_UNIT_NOT_FOUND'));
  });

  it('iterates events with an AbortSignal', { timeout: 30_000 }, async () => {
    const name = units.name('iter');
    const controller = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const event of manager.events({ signal: controller.signal })) {
        if (event.type === 'unit-changed' && event.unit === name && event.changes.activeState === 'active') {
          seen.push('active');
          controller.abort();
        }
      }
      return 'returned';
    })();
    await manager.startTransientUnit(name, { execStart: [sleepCommand(1000)] });
    assert.equal(await loop, 'returned');
    assert.deepEqual(seen, ['active']);
  });

  it('waits for a unit that does not exist yet to become active', { timeout: 30_000 }, async () => {
    const name = units.name('later');
    const waiting = manager.waitForUnitState(name, (s) => s?.activeState === 'active', { timeoutMs: 20_000 });
    await manager.startTransientUnit(name, { execStart: [sleepCommand(1000)], description: 'started later' });
    const status = await waiting;
    assert.equal(status?.activeState, 'active');
    assert.equal(status?.description, 'started later');
  });

  it('resolves at once when the current state already matches', async () => {
    const name = units.name('already');
    await manager.startTransientUnit(name, { execStart: [sleepCommand(1000)] });
    const status = await manager.waitForUnitState(name, (s) => s?.subState === 'running');
    assert.equal(status?.subState, 'running');
  });

  it('gives up with ERR_UNIT_WAIT_TIMEOUT, and with the abort reason on abort', async () => {
    const name = units.name('never');
    await assert.rejects(manager.waitForUnitState(name, (s) => s !== undefined, { timeoutMs: 50 }), (error: unknown) => {
      assert.ok(hasErrorCode(error, 'ERR_UNIT_WAIT_TIMEOUT'));
      assert.match(error.message, /not loaded/);
      return true;
    });
    const controller = new AbortController();
    const waiting = manager.waitForUnitState(name, (s) => s !== undefined, { signal: controller.signal });
    controller.abort(new Error('test is done waiting'));
    await assert.rejects(waiting, /test is done waiting/);
  });
});
