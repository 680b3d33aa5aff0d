import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlags } from '../../src/cli/flags.js';
import type { FlagSpec } from '../../src/cli/flags.js';
import { hasErrorCode } from '../../src/util/index.js';

const SPECS: readonly FlagSpec[] = [
  { name: 'full', kind: 'boolean', help: '' },
  { name: 'dir', kind: 'string', help: '' },
  { name: 'wait', kind: 'string', optionalValue: 'true', help: '' },
  { name: 'set-env', kind: 'list', help: '' },
  { name: 'format', kind: 'string', choices: ['table', 'json'], help: '' },
  { name: 'help', kind: 'boolean', short: 'h', help: '' },
];

describe('parseFlags', () => {
  it('reads booleans, strings in both spellings, and repeated lists', () => {
    const { flags, args } = parseFlags(['--full', '--dir', '/a', 'X', '--set-env=A=1', '--set-env', 'B=2', 'Y'], SPECS);
    assert.equal(flags.boolean('full'), true);
    assert.equal(flags.string('dir'), '/a');
    assert.deepEqual(flags.list('set-env'), ['A=1', 'B=2']);
    assert.deepEqual(args, ['X', 'Y']);
  });

  it('accepts --flag=false for booleans and rejects other words', () => {
    assert.equal(parseFlags(['--full=false'], SPECS).flags.boolean('full', true), false);
    assert.throws(() => parseFlags(['--full=maybe'], SPECS), (e: unknown) => hasErrorCode(e, 'ERR_FLAG_VALUE') && /--full/.test(e.message));
  });

  it('gives an optional-value flag its default without eating the next argument', () => {
    const { flags, args } = parseFlags(['--wait', 'UUID'], SPECS);
    assert.equal(flags.string('wait'), 'true');
    assert.deepEqual(args, ['UUID']);
    assert.equal(parseFlags(['--wait=10s'], SPECS).flags.string('wait'), '10s');
  });

  it('stops at -- and, when asked, at the first positional', () => {
    assert.deepEqual(parseFlags(['--full', '--', '--dir', 'x'], SPECS).args, ['--dir', 'x']);
    const { flags, args } = parseFlags(['--full', 'UUID', 'sh', '--dir', 'x'], SPECS, { stopAtFirstPositional: true });
    assert.deepEqual(args, ['UUID', 'sh', '--dir', 'x']);
    assert.equal(flags.given('dir'), false);
  });

  it('names unknown flags and suggests the closest one', () => {
    assert.throws(
      () => parseFlags(['--ful'], SPECS),
      (e: unknown) => hasErrorCode(e, 'ERR_UNKNOWN_FLAG') && e.message === 'unknown flag: --ful' && e.hint === 'did you mean --full?' && e.exitCode === 2,
    );
  });

  it('rejects a missing value and a value outside the choices', () => {
    assert.throws(() => parseFlags(['--dir'], SPECS), (e: unknown) => hasErrorCode(e, 'ERR_FLAG_VALUE') && e.message === 'flag needs a value: --dir');
    assert.throws(() => parseFlags(['--format=yaml'], SPECS), (e: unknown) => hasErrorCode(e, 'ERR_FLAG_VALUE') && /expected one of table, json/.test(e.message));
  });

  it('understands short aliases', () => {
    assert.equal(parseFlags(['-h'], SPECS).flags.boolean('help'), true);
    assert.throws(() => parseFlags(['-q'], SPECS), (e: unknown) => hasErrorCode(e, 'ERR_UNKNOWN_FLAG'));
  });
});
