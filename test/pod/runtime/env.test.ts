import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envPairsOf, mergeEnvironment } from '../../../src/pod/index.js';

const pairs = (text: string): { name: string; value: string }[] =>
  text.split(' ').filter((item) => item !== '').map((item) => ({ name: item.split('=')[0] ?? '', value: item.split('=')[1] ?? '' }));

describe('mergeEnvironment (rkt precedence)', () => {
  it('lets each layer override the ones below: inherited < image < set-env-file < set-env < environment < runtime', () => {
    const merged = mergeEnvironment({
      inherited: pairs('A=inh B=inh C=inh D=inh E=inh HOME=/root'),
      image: pairs('B=img C=img D=img E=img'),
      setEnvFile: pairs('C=file D=file E=file'),
      setEnv: pairs('D=set E=set'),
      app: pairs('E=app'),
      runtime: pairs('AC_APP_NAME=web'),
    });
    assert.deepEqual(merged, pairs('A=inh B=img C=file D=set E=app HOME=/root AC_APP_NAME=web'));
  });

  it('keeps each variable where it first appeared, whichever layer wins', () => {
    const merged = mergeEnvironment({ inherited: [], image: pairs('Z=1 A=1'), setEnvFile: [], setEnv: pairs('M=2 Z=2'), app: pairs('A=3') });
    assert.deepEqual(merged.map((pair) => `${pair.name}=${pair.value}`), ['Z=2', 'A=3', 'M=2']);
  });

  it('is case-sensitive and keeps empty values', () => {
    assert.deepEqual(mergeEnvironment({ inherited: [], image: pairs('path=x PATH=y'), setEnvFile: [], setEnv: pairs('EMPTY='), app: [] }), pairs('path=x PATH=y EMPTY='));
  });

  it('turns a process environment into pairs, dropping undefined values', () => {
    assert.deepEqual(envPairsOf({ A: '1', B: undefined, C: '' }), [{ name: 'A', value: '1' }, { name: 'C', value: '' }]);
  });
});
