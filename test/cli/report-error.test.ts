import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatError } from '../../src/cli/report-error.js';
import { notFound, unavailable } from '../../src/util/index.js';

describe('formatError', () => {
  const nested = unavailable('ERR_DBUS_UNAVAILABLE', 'cannot reach systemd', {
    hint: 'is the system bus running?',
    cause: new Error('connect ENOENT /run/dbus/system_bus_socket', { cause: new Error('socket gone') }),
  });

  it('prints message and hint, and points at --debug when there is a cause', () => {
    const r = formatError('daemon', nested, { debug: false, format: undefined });
    assert.equal(r.exitCode, 254);
    assert.equal(r.text, 'daemon: cannot reach systemd\ndaemon: hint: is the system bus running?\ndaemon: (run with --debug for the cause)\n');
  });

  it('prints the cause chain as a tree with --debug', () => {
    const r = formatError('daemon', nested, { debug: true, format: undefined });
    assert.equal(
      r.text,
      'daemon: cannot reach systemd\ndaemon: hint: is the system bus running?\n'
        + '  └─ connect ENOENT /run/dbus/system_bus_socket\n    └─ socket gone\n',
    );
  });

  it('marks unexpected errors as internal and exits 254', () => {
    const r = formatError('gc', new TypeError('x is undefined'), { debug: false, format: undefined });
    assert.equal(r.exitCode, 254);
    assert.equal(r.text, 'gc: internal error: TypeError: x is undefined\n');
  });

  it('prints code, message, hint and (with --debug) causes as JSON', () => {
    const r = formatError('image rm', notFound('ERR_IMAGE_NOT_FOUND', 'no image IDs found', { cause: new Error('inner') }), { debug: true, format: 'json' });
    assert.deepEqual(JSON.parse(r.text), { error: { code: 'ERR_IMAGE_NOT_FOUND', message: 'no image IDs found', causes: ['inner'] } });
  });
});
