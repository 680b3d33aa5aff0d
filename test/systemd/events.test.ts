import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Variant } from 'dbus-next';
import { unavailable } from '../../src/util/index.js';
import { EventHub, decodeSignal } from '../../src/systemd/events.js';
import type { BusSignal } from '../../src/systemd/bus.js';
import type { SystemdEvent, UnitName } from '../../src/systemd/index.js';

const managerSignal = (member: string, body: unknown[], sequence = 1): BusSignal => ({
  path: '/org/freedesktop/systemd1',
  interface: 'org.freedesktop.systemd1.Manager',
  member,
  body,
  sequence,
});

describe('decodeSignal', () => {
  it('decodes JobRemoved', () => {
    const event = decodeSignal(managerSignal('JobRemoved', [7, '/org/freedesktop/systemd1/job/7', 'a.service', 'done'], 9));
    assert.deepEqual(event, {
      type: 'job-removed',
      jobId: 7,
      job: '/org/freedesktop/systemd1/job/7',
      unit: 'a.service',
      result: 'done',
      sequence: 9,
    });
  });

  it('decodes UnitNew and UnitRemoved, skipping unit types it does not model', () => {
    assert.deepEqual(decodeSignal(managerSignal('UnitRemoved', ['a.service', '/org/freedesktop/systemd1/unit/a_2eservice'])), {
      type: 'unit-removed',
      unit: 'a.service',
      sequence: 1,
    });
    assert.equal(decodeSignal(managerSignal('UnitNew', ['a.service', '/x'])) ?.type, 'unit-new');
    assert.equal(decodeSignal(managerSignal('UnitRemoved', ['dev-sda.device', '/x'])), undefined);
    assert.equal(decodeSignal(managerSignal('Reloading', [true])), undefined);
  });

  it('decodes PropertiesChanged of a unit object into typed changes', () => {
    const event = decodeSignal({
      path: '/org/freedesktop/systemd1/unit/pod_2dx_2eservice',
      interface: 'org.freedesktop.DBus.Properties',
      member: 'PropertiesChanged',
      body: [
        'org.freedesktop.systemd1.Unit',
        {
          ActiveState: new Variant('s', 'failed'),
          SubState: new Variant('s', 'failed'),
          InvocationID: new Variant('ay', Buffer.from('00112233445566778899aabbccddeeff', 'hex')),
          ActiveEnterTimestamp: new Variant('t', 123n),
        },
        ['Conditions', 'Asserts'],
      ],
      sequence: 4,
    });
    assert.deepEqual(event, {
      type: 'unit-changed',
      unit: 'pod-x.service',
      interfaceName: 'org.freedesktop.systemd1.Unit',
      changes: { activeState: 'failed', subState: 'failed', invocationId: '00112233445566778899aabbccddeeff' },
      sequence: 4,
    });
  });

  it('decodes Service properties (Result, ExecMainStatus, ExecMainCode, MainPID)', () => {
    const event = decodeSignal({
      path: '/org/freedesktop/systemd1/unit/x_2eservice',
      interface: 'org.freedesktop.DBus.Properties',
      member: 'PropertiesChanged',
      body: [
        'org.freedesktop.systemd1.Service',
        {
          Result: new Variant('s', 'exit-code'),
          ExecMainStatus: new Variant('i', 3),
          ExecMainCode: new Variant('i', 1),
          MainPID: new Variant('u', 0),
          NRestarts: new Variant('u', 2),
        },
        [],
      ],
      sequence: 5,
    });
    assert.equal(event?.type, 'unit-changed');
    assert.deepEqual(event.type === 'unit-changed' ? event.changes : undefined, {
      result: 'exit-code',
      execMainStatus: 3,
      execMainCode: 'exited',
      mainPid: 0,
      nRestarts: 2,
    });
  });

  it('throws ERR_SYSTEMD_PROTOCOL for a value it does not know', () => {
    assert.throws(
      () => decodeSignal(managerSignal('JobRemoved', [1, '/j/1', 'a.service', 'exploded'])),
      (error: unknown) => error instanceof Error && /unexpected job result "exploded"/.test(error.message),
    );
  });
});

describe('EventHub', () => {
  const unit = 'a.service' as UnitName;
  const removed = (sequence: number): SystemdEvent => ({ type: 'unit-removed', unit, sequence });

  it('delivers to listeners until unsubscribed or aborted', () => {
    const hub = new EventHub();
    const seen: number[] = [];
    const controller = new AbortController();
    const off = hub.subscribe((e) => seen.push('sequence' in e ? e.sequence : -1));
    hub.subscribe((e) => seen.push('sequence' in e ? e.sequence * 10 : -1), { signal: controller.signal });
    hub.emit(removed(1));
    controller.abort();
    hub.emit(removed(2));
    off();
    hub.emit(removed(3));
    assert.deepEqual(seen, [1, 10, 2]);
  });

  it('iterates events in order and returns as soon as the signal aborts', async () => {
    const hub = new EventHub();
    const controller = new AbortController();
    const iterator = hub.events({ signal: controller.signal });
    hub.emit(removed(1));
    hub.emit(removed(2));
    const got: number[] = [];
    setImmediate(() => hub.emit(removed(3)));
    for await (const event of iterator) {
      const sequence = 'sequence' in event ? event.sequence : -1;
      got.push(sequence);
      if (sequence === 3) {
        controller.abort();
        hub.emit(removed(4));
      }
    }
    assert.deepEqual(got, [1, 2, 3]);
  });

  it('makes the iterator throw the connection error after a disconnect', async () => {
    const hub = new EventHub();
    const iterator = hub.events();
    hub.emit(removed(1));
    const error = unavailable('ERR_DBUS_UNAVAILABLE', 'gone');
    hub.end(error);
    assert.deepEqual(await iterator.next(), { value: removed(1), done: false });
    await assert.rejects(iterator.next(), (e) => e === error);
    const late: SystemdEvent[] = [];
    hub.subscribe((e) => late.push(e));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(late, [{ type: 'disconnected', error }]);
  });
});
