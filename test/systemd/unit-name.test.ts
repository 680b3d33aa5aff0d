import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasErrorCode, isErrorCategory } from '../../src/util/index.js';
import {
  escapeBusLabel,
  isUnitName,
  parseUnitName,
  parseUnitPattern,
  unescapeBusLabel,
  unitNameFromObjectPath,
  unitObjectPath,
  unitTypeOf,
} from '../../src/systemd/index.js';

describe('parseUnitName', () => {
  it('accepts plain and instance names of every known type', () => {
    for (const name of [
      'feas-demo.service',
      'pod-web.slice',
      'a.scope',
      'b.target',
      'c.socket',
      'd.timer',
      'e.mount',
      'f.path',
      'getty@tty1.service',
      'x@y@z.service',
      'with:colon_and.dots\\x2d.service',
    ]) {
      assert.equal(parseUnitName(name), name);
    }
  });

  it('rejects names systemd refuses, naming the rule', () => {
    const cases: [string, RegExp][] = [
      ['', /is empty/],
      ['noext', /no unit type suffix/],
      ['.service', /no unit type suffix/],
      ['x.device', /unknown type suffix "\.device"/],
      ['x.Service', /unknown type suffix/],
      ['bad name.service', /outside/],
      ['ü.service', /outside/],
      ['a/b.service', /outside/],
      ['@x.service', /starts with "@"/],
      ['tmpl@.service', /template/],
      [`${'a'.repeat(248)}.service`, /longer than 255/],
    ];
    for (const [name, message] of cases) {
      assert.throws(() => parseUnitName(name), (error: unknown) => {
        assert.ok(hasErrorCode(error, 'ERR_UNIT_NAME_INVALID'), `code for ${name}`);
        assert.ok(isErrorCategory(error, 'invalid-argument'));
        assert.match(error.message, message);
        assert.ok(error.message.includes(`"${name}"`), 'message names the value');
        return true;
      });
    }
  });

  it('accepts exactly 255 characters', () => {
    const name = `${'a'.repeat(247)}.service`;
    assert.equal(name.length, 255);
    assert.ok(isUnitName(name));
  });

  it('reports the unit type', () => {
    assert.equal(unitTypeOf(parseUnitName('a.b.slice')), 'slice');
    assert.equal(unitTypeOf(parseUnitName('x@1.service')), 'service');
  });
});

describe('object paths', () => {
  it('escapes every character outside [A-Za-z0-9] as lowercase _xx', () => {
    assert.equal(unitObjectPath(parseUnitName('feas-demo.service')), '/org/freedesktop/systemd1/unit/feas_2ddemo_2eservice');
    assert.equal(escapeBusLabel('a_b:c@d\\e'), 'a_5fb_3ac_40d_5ce');
    assert.equal(escapeBusLabel('dbus.service'), 'dbus_2eservice');
  });

  it('escapes a leading digit like bus_label_escape, but not later ones', () => {
    assert.equal(escapeBusLabel('1a2.service'), '_31a2_2eservice');
    assert.equal(escapeBusLabel(''), '_');
  });

  it('round-trips through unescape', () => {
    for (const name of ['feas-demo.service', '0x@y.scope', 'a_b.slice', '-.slice']) {
      assert.equal(unescapeBusLabel(escapeBusLabel(name)), name);
      assert.equal(unitNameFromObjectPath(unitObjectPath(parseUnitName(name))), name);
    }
  });

  it('returns undefined for paths that are not unit objects', () => {
    assert.equal(unitNameFromObjectPath('/org/freedesktop/systemd1'), undefined);
    assert.equal(unitNameFromObjectPath('/org/freedesktop/systemd1/unit/self'), undefined);
    assert.equal(unitNameFromObjectPath('/org/freedesktop/systemd1/unit/a/b'), undefined);
    assert.equal(unitNameFromObjectPath('/org/freedesktop/systemd1/unit/dev_2dsda_2edevice'), undefined);
  });
});

describe('parseUnitPattern', () => {
  it('accepts globs and rejects other characters', () => {
    assert.equal(parseUnitPattern('pod-*.service'), 'pod-*.service');
    assert.equal(parseUnitPattern('pod-[ab]?.s*'), 'pod-[ab]?.s*');
    assert.throws(() => parseUnitPattern('pod *'), (e: unknown) => hasErrorCode(e, 'ERR_UNIT_PATTERN_INVALID'));
    assert.throws(() => parseUnitPattern(''), (e: unknown) => hasErrorCode(e, 'ERR_UNIT_PATTERN_INVALID'));
  });
});
