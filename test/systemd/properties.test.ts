import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasErrorCode } from '../../src/util/index.js';
import {
  UINT64_INFINITY,
  type UnitProperties,
  buildUnitProperties,
  cpuQuotaFromPercent,
  parseUnitName,
} from '../../src/systemd/index.js';

function invalidWith(message: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(hasErrorCode(error, 'ERR_UNIT_INVALID'), `expected ERR_UNIT_INVALID, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  };
}

describe('buildUnitProperties', () => {
  it('encodes every property with the signature systemd 252 accepts', () => {
    const slice = parseUnitName('pods.slice');
    const dep = parseUnitName('net.service');
    const entries = buildUnitProperties({
      description: 'pod x',
      type: 'exec',
      execStartPre: [{ path: '/bin/true', argv: ['true'], ignoreFailure: true }],
      execStart: [{ path: '/bin/sleep', argv: ['/bin/sleep', '1000'] }],
      execStop: [{ path: '/bin/kill', argv: ['/bin/kill', '-TERM', '$MAINPID'] }],
      execStopPost: [{ path: '/bin/rm', argv: ['rm', '-f', '/run/x'] }],
      environment: { POD_ID: 'abc', FOO: 'bar baz' },
      workingDirectory: '/srv',
      remainAfterExit: true,
      restart: 'on-failure',
      restartMs: 500,
      timeoutStopMs: 1500.5,
      killMode: 'mixed',
      killSignal: 'SIGINT',
      collectMode: 'inactive-or-failed',
      slice,
      bindsTo: [dep],
      after: [dep],
      before: [dep],
      requires: [dep],
      memoryMaxBytes: 64 * 1024 * 1024,
      tasksMax: 32n,
      cpuQuotaPerSecUSec: cpuQuotaFromPercent(20),
      privateMounts: true,
      delegate: false,
    });
    assert.deepEqual(entries, [
      ['Description', 's', 'pod x'],
      ['Type', 's', 'exec'],
      ['ExecStartPre', 'a(sasb)', [['/bin/true', ['true'], true]]],
      ['ExecStart', 'a(sasb)', [['/bin/sleep', ['/bin/sleep', '1000'], false]]],
      ['ExecStop', 'a(sasb)', [['/bin/kill', ['/bin/kill', '-TERM', '$MAINPID'], false]]],
      ['ExecStopPost', 'a(sasb)', [['/bin/rm', ['rm', '-f', '/run/x'], false]]],
      ['Environment', 'as', ['POD_ID=abc', 'FOO=bar baz']],
      ['WorkingDirectory', 's', '/srv'],
      ['RemainAfterExit', 'b', true],
      ['Restart', 's', 'on-failure'],
      ['RestartUSec', 't', 500_000n],
      ['TimeoutStopUSec', 't', 1_500_500n],
      ['KillMode', 's', 'mixed'],
      ['KillSignal', 'i', 2],
      ['CollectMode', 's', 'inactive-or-failed'],
      ['Slice', 's', 'pods.slice'],
      ['Requires', 'as', ['net.service']],
      ['BindsTo', 'as', ['net.service']],
      ['After', 'as', ['net.service']],
      ['Before', 'as', ['net.service']],
      ['MemoryMax', 't', 67_108_864n],
      ['TasksMax', 't', 32n],
      ['CPUQuotaPerSecUSec', 't', 200_000n],
      ['Delegate', 'b', false],
      ['PrivateMounts', 'b', true],
    ]);
  });

  it('returns no entries for no properties', () => {
    assert.deepEqual(buildUnitProperties({}), []);
  });

  it('maps infinity to UINT64_MAX', () => {
    assert.deepEqual(buildUnitProperties({ memoryMaxBytes: 'infinity', timeoutStopMs: 'infinity' }), [
      ['TimeoutStopUSec', 't', UINT64_INFINITY],
      ['MemoryMax', 't', 18_446_744_073_709_551_615n],
    ]);
  });

  it('refuses an ExecStart without argv[0] or with a relative path', () => {
    assert.throws(() => buildUnitProperties({ execStart: [{ path: '/bin/true', argv: [] }] }), invalidWith(/ExecStart\[0\]\.argv/));
    assert.throws(
      () => buildUnitProperties({ execStart: [{ path: 'sleep', argv: ['sleep', '1'] }] }),
      invalidWith(/ExecStart\[0\]\.path: "sleep" is not an absolute path/),
    );
    const argvAsString = { execStart: [{ path: '/bin/sleep', argv: '/bin/sleep 1' }] } as unknown as UnitProperties;
    assert.throws(() => buildUnitProperties(argvAsString), invalidWith(/argv/));
  });

  it('refuses bad environment names and NUL or lone surrogates in values', () => {
    assert.throws(() => buildUnitProperties({ environment: { '1X': 'a' } }), invalidWith(/"1X"/));
    assert.throws(() => buildUnitProperties({ environment: { 'A=B': 'a' } }), invalidWith(/"A=B"/));
    assert.throws(() => buildUnitProperties({ environment: { A: 'x\0y' } }), invalidWith(/Environment\.A/));
    assert.throws(() => buildUnitProperties({ environment: { A: 'x\uD800' } }), invalidWith(/Environment\.A/));
    assert.deepEqual(buildUnitProperties({ environment: { A: 'multi\nline ✓ 😀' } }), [
      ['Environment', 'as', ['A=multi\nline ✓ 😀']],
    ]);
  });

  it('refuses values outside the enumerations and negative or fractional quantities', () => {
    const bad = (props: object): UnitProperties => props;
    assert.throws(() => buildUnitProperties(bad({ type: 'daemon' })), invalidWith(/Type: "daemon" is not one of simple, exec/));
    assert.throws(() => buildUnitProperties(bad({ restart: 'sometimes' })), invalidWith(/Restart/));
    assert.throws(() => buildUnitProperties(bad({ killMode: 'all' })), invalidWith(/KillMode/));
    assert.throws(() => buildUnitProperties(bad({ collectMode: 'never' })), invalidWith(/CollectMode/));
    assert.throws(() => buildUnitProperties({ memoryMaxBytes: -1 }), invalidWith(/MemoryMax: -1/));
    assert.throws(() => buildUnitProperties({ tasksMax: 1.5 }), invalidWith(/TasksMax/));
    assert.throws(() => buildUnitProperties({ tasksMax: 2n ** 64n }), invalidWith(/TasksMax/));
    assert.throws(() => buildUnitProperties({ restartMs: Number.NaN }), invalidWith(/RestartUSec/));
    assert.throws(() => buildUnitProperties(bad({ killSignal: 'SIGNOPE' })), invalidWith(/KillSignal/));
    assert.throws(() => buildUnitProperties({ workingDirectory: 'srv' }), invalidWith(/WorkingDirectory/));
  });

  it('requires a .slice unit for Slice', () => {
    assert.throws(() => buildUnitProperties({ slice: parseUnitName('x.service') }), invalidWith(/Slice: "x.service" is not a .slice unit/));
  });

  it('refuses unknown keys instead of dropping them', () => {
    const typo = { memoryMax: 5 } as unknown as UnitProperties;
    assert.throws(() => buildUnitProperties(typo), invalidWith(/unknown unit property "memoryMax"/));
  });
});

describe('cpuQuotaFromPercent', () => {
  it('converts percent of one CPU to µs per second', () => {
    assert.equal(cpuQuotaFromPercent(20), 200_000n);
    assert.equal(cpuQuotaFromPercent(150), 1_500_000n);
    assert.throws(() => cpuQuotaFromPercent(-1), invalidWith(/CPU quota/));
  });
});
