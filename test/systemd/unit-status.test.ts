import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUnitStatus, mergeUnitStatus, variantValues } from '../../src/systemd/unit-status.js';
import { decodeUnitList } from '../../src/systemd/unit-list.js';
import { parseUnitName } from '../../src/systemd/index.js';
import { hasErrorCode } from '../../src/util/index.js';
import { Variant } from 'dbus-next';

const name = parseUnitName('pod-x.service');

function values(extra: Record<string, Variant> = {}): Map<string, unknown> {
  return variantValues({
    Description: new Variant('s', 'pod x'),
    LoadState: new Variant('s', 'loaded'),
    ActiveState: new Variant('s', 'active'),
    SubState: new Variant('s', 'running'),
    InvocationID: new Variant('ay', Buffer.alloc(0)),
    ...extra,
  });
}

describe('decodeUnitStatus', () => {
  it('decodes a service, including the ExecStart read-back a(sasbttttuii)', () => {
    const status = decodeUnitStatus(
      name,
      values({
        MainPID: new Variant('u', 42),
        Result: new Variant('s', 'success'),
        ExecMainStatus: new Variant('i', 0),
        ExecMainCode: new Variant('i', 0),
        NRestarts: new Variant('u', 0),
        Environment: new Variant('as', ['A=b']),
        MemoryMax: new Variant('t', 67108864n),
        ExecStart: new Variant('a(sasbttttuii)', [['/bin/sleep', ['/bin/sleep', '9'], false, 1n, 2n, 0n, 0n, 42, 0, 0]]),
      }),
    );
    assert.equal(status.activeState, 'active');
    assert.equal(status.invocationId, undefined);
    assert.equal(status.mainPid, 42);
    assert.equal(status.execMainCode, 'none');
    assert.equal(status.memoryMaxBytes, 67108864n);
    assert.equal(status.tasksMax, undefined);
    assert.deepEqual(status.environment, ['A=b']);
    assert.deepEqual(status.execStart, [
      { path: '/bin/sleep', argv: ['/bin/sleep', '9'], ignoreFailure: false, pid: 42, code: 'none', status: 0 },
    ]);
  });

  it('refuses unknown states and missing Unit properties', () => {
    assert.throws(() => decodeUnitStatus(name, values({ ActiveState: new Variant('s', 'sleepy') })), (e: unknown) =>
      hasErrorCode(e, 'ERR_SYSTEMD_PROTOCOL'),
    );
    assert.throws(() => decodeUnitStatus(name, new Map()), (e: unknown) => hasErrorCode(e, 'ERR_SYSTEMD_PROTOCOL'));
  });

  it('merges changes, including a value cleared to undefined', () => {
    const status = decodeUnitStatus(name, values({ InvocationID: new Variant('ay', Buffer.alloc(16, 1)) }));
    assert.equal(status.invocationId, '01'.repeat(16));
    const merged = mergeUnitStatus(status, { activeState: 'deactivating', invocationId: undefined });
    assert.equal(merged.activeState, 'deactivating');
    assert.equal(merged.subState, 'running');
    assert.equal(merged.invocationId, undefined);
  });
});

describe('decodeUnitList', () => {
  it('decodes rows and leaves out unit types the facade does not model', () => {
    const rows = [
      ['a.service', 'A', 'loaded', 'active', 'running', '', '/org/freedesktop/systemd1/unit/a_2eservice', 0, '', '/'],
      ['b.service', 'B', 'loaded', 'activating', 'start', '', '/org/freedesktop/systemd1/unit/b_2eservice', 5, 'start', '/org/freedesktop/systemd1/job/5'],
      ['dev-sda.device', 'disk', 'loaded', 'active', 'plugged', '', '/x', 0, '', '/'],
    ];
    assert.deepEqual(decodeUnitList(rows), [
      {
        name: 'a.service',
        description: 'A',
        loadState: 'loaded',
        activeState: 'active',
        subState: 'running',
        following: undefined,
        objectPath: '/org/freedesktop/systemd1/unit/a_2eservice',
        job: undefined,
      },
      {
        name: 'b.service',
        description: 'B',
        loadState: 'loaded',
        activeState: 'activating',
        subState: 'start',
        following: undefined,
        objectPath: '/org/freedesktop/systemd1/unit/b_2eservice',
        job: { id: 5, type: 'start', path: '/org/freedesktop/systemd1/job/5' },
      },
    ]);
  });
});
