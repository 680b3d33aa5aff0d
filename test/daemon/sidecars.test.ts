import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActualPod } from '../../src/daemon/actual.js';
import { appsFinished, mayEndSidecars, sidecarsToEnd } from '../../src/daemon/sidecars.js';
import type { PodSpec } from '../../src/podfile/index.js';
import type { UnitStatus } from '../../src/systemd/index.js';
import { parseUnitName } from '../../src/systemd/index.js';
import { valid } from '../podfile/helpers.js';

function spec(restartPolicy: 'Always' | 'OnFailure' | 'Never', sidecar = true): PodSpec {
  return valid([
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: job}', 'spec:', `  restartPolicy: ${restartPolicy}`,
    '  initContainers:', '  - {name: setup, image: busybox:1.36}',
    ...(sidecar ? ['  - {name: shipper, image: busybox:1.36, restartPolicy: Always}'] : []),
    '  containers:', '  - {name: a, image: busybox:1.36}', '  - {name: b, image: busybox:1.36}', '',
  ].join('\n'), 'job.yaml').spec;
}

function unit(app: string, activeState: UnitStatus['activeState']): UnitStatus {
  return {
    name: parseUnitName(`rocklet-job_${app}.service`), description: '', loadState: 'loaded', activeState, subState: activeState === 'active' ? 'running' : 'dead', invocationId: undefined,
    result: activeState === 'failed' ? 'exit-code' : 'success', mainPid: 0, execMainStatus: undefined, execMainCode: undefined, nRestarts: 0, environment: [], execStart: undefined,
    memoryMaxBytes: undefined, tasksMax: undefined, cpuQuotaPerSecUSec: undefined, controlGroup: undefined,
  };
}

function pod(states: Readonly<Record<string, UnitStatus['activeState']>>): ActualPod {
  return {
    pod: 'job', uuid: 'a1b2c3d4-0000-4000-8000-000000000001', hash: 'sha256:x', file: undefined, sandbox: unit('sandbox', 'active'),
    apps: new Map(Object.entries(states).map(([app, state]) => [app, unit(app, state)])),
  };
}

const exits = (codes: Readonly<Record<string, number>>): Map<string, number> => new Map(Object.entries(codes));

describe('daemon/sidecars: when native sidecars end', () => {
  it('Never: ends the sidecar once every app container has recorded an exit (any code), gone units included', () => {
    const actual = pod({ shipper: 'active', a: 'inactive' }); // b's unit is unloaded already
    assert.deepEqual(sidecarsToEnd(spec('Never'), actual, exits({ a: 0, b: 3 })), ['shipper']);
    assert.deepEqual(sidecarsToEnd(spec('Never'), actual, exits({ a: 0 })), [], 'b has not run yet');
    assert.deepEqual(sidecarsToEnd(spec('Never'), pod({ shipper: 'active', a: 'failed', b: 'inactive' }), exits({ b: 0 })), ['shipper'], 'a failed unit finished too');
    assert.deepEqual(sidecarsToEnd(spec('Never'), pod({ shipper: 'active', a: 'active', b: 'inactive' }), exits({ a: 0, b: 0 })), [], 'a still runs');
  });

  it('OnFailure: only exits with 0 finish an app container (a failed one is restarted)', () => {
    const actual = pod({ shipper: 'active', a: 'inactive', b: 'failed' });
    assert.deepEqual(sidecarsToEnd(spec('OnFailure'), actual, exits({ a: 0, b: 1 })), []);
    assert.deepEqual(sidecarsToEnd(spec('OnFailure'), pod({ shipper: 'activating', a: 'inactive', b: 'inactive' }), exits({ a: 0, b: 0 })), ['shipper']);
    assert.equal(appsFinished(spec('OnFailure'), actual, exits({ a: 0, b: 0 })), true);
  });

  it('Always never ends a sidecar; a stopped or absent sidecar is not stopped again; no sidecar, nothing to do', () => {
    const done = exits({ a: 0, b: 0 });
    assert.deepEqual(sidecarsToEnd(spec('Always'), pod({ shipper: 'active', a: 'inactive', b: 'inactive' }), done), []);
    assert.equal(mayEndSidecars(spec('Always'), pod({ shipper: 'active' })), false);
    assert.deepEqual(sidecarsToEnd(spec('Never'), pod({ shipper: 'failed', a: 'inactive', b: 'inactive' }), done), []);
    assert.deepEqual(sidecarsToEnd(spec('Never'), pod({ a: 'inactive', b: 'inactive' }), done), []);
    assert.equal(mayEndSidecars(spec('Never', false), pod({ a: 'inactive', b: 'inactive' })), false);
    assert.equal(mayEndSidecars(spec('Never'), pod({ shipper: 'active', a: 'active' })), false);
    assert.equal(mayEndSidecars(spec('Never'), pod({ shipper: 'active', a: 'inactive' })), true);
  });
});
