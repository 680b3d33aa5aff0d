import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DBusError } from 'dbus-next';
import { type ErrorCategory, RockletError, isErrorCategory } from '../../src/util/index.js';
import { mapDBusError } from '../../src/systemd/index.js';

const context = { operation: 'start transient unit', unit: 'pod-x.service' };

describe('mapDBusError', () => {
  const cases: [string, string, ErrorCategory, string][] = [
    ['org.freedesktop.systemd1.NoSuchUnit', 'Unit pod-x.service not loaded.', 'not-found', 'ERR_UNIT_NOT_FOUND'],
    ['org.freedesktop.systemd1.UnitExists', 'Unit pod-x.service was already loaded or has a fragment file.', 'already-exists', 'ERR_UNIT_EXISTS'],
    ['org.freedesktop.DBus.Error.InvalidArgs', 'Invalid unit name or type.', 'invalid-argument', 'ERR_UNIT_INVALID'],
    ['System.Error.ENXIO', 'Failed to set unit properties: Unexpected message contents', 'invalid-argument', 'ERR_UNIT_INVALID'],
    ['org.freedesktop.DBus.Error.PropertyReadOnly', 'Cannot set property CPUQuota, or unknown property.', 'invalid-argument', 'ERR_UNIT_INVALID'],
    ['org.freedesktop.systemd1.BadUnitSetting', 'Unit pod-x.service has a bad unit file setting.', 'invalid-argument', 'ERR_UNIT_INVALID'],
    ['org.freedesktop.DBus.Error.AccessDenied', 'Rejected send message', 'permission-denied', 'ERR_DBUS_ACCESS_DENIED'],
    ['org.freedesktop.DBus.Error.ServiceUnknown', 'The name org.freedesktop.systemd1 was not provided', 'unavailable', 'ERR_DBUS_UNAVAILABLE'],
    ['org.freedesktop.systemd1.TransactionIsDestructive', 'Transaction is destructive.', 'conflict', 'ERR_UNIT_JOB_CONFLICT'],
    ['org.freedesktop.systemd1.UnitMasked', 'Unit pod-x.service is masked.', 'failed-precondition', 'ERR_UNIT_MASKED'],
    ['org.example.Unheard', 'something else', 'runtime', 'ERR_SYSTEMD_CALL_FAILED'],
  ];
  for (const [type, text, category, code] of cases) {
    it(`maps ${type} to ${code}`, () => {
      const original = new DBusError(type, text);
      const mapped = mapDBusError(original, context);
      assert.ok(isErrorCategory(mapped, category), `category ${mapped.category}`);
      assert.equal(mapped.code, code);
      assert.equal(mapped.cause, original);
      assert.ok(mapped.message.startsWith('start transient unit pod-x.service: '), mapped.message);
      assert.ok(mapped.message.includes(text), 'keeps systemd text');
      assert.ok(mapped.message.includes(type), 'keeps the D-Bus error name');
    });
  }

  it('passes RockletErrors through untouched', () => {
    const error = new RockletError('unavailable', 'ERR_DBUS_UNAVAILABLE', 'gone');
    assert.equal(mapDBusError(error, context), error);
  });

  it('maps a local marshalling error of dbus-next to ERR_UNIT_INVALID', () => {
    const local = new Error("expecting an array for signature 'as' (got string)");
    const mapped = mapDBusError(local, context);
    assert.equal(mapped.code, 'ERR_UNIT_INVALID');
    assert.equal(mapped.cause, local);
    assert.match(mapped.message, /expecting an array/);
  });
});
