import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActualPod, PodFileKey } from '../../src/daemon/index.js';
import { stateFromUnits } from '../../src/daemon/index.js';
import type { UnitView } from '../../src/daemon/status.js';
import { statusOfVerdict } from '../../src/daemon/status.js';
import type { SpecHash } from '../../src/podfile/index.js';
import type { UnitStatus } from '../../src/systemd/index.js';
import { parseUnitName } from '../../src/systemd/index.js';

const key = (name: string): PodFileKey => name as PodFileKey;
const HASH = `sha256:${'ab'.repeat(32)}` as SpecHash;

function unit(name: string, activeState: UnitStatus['activeState'], subState: UnitStatus['subState'], extra: Partial<UnitStatus> = {}): UnitStatus {
  return {
    name: parseUnitName(name), description: '', loadState: 'loaded', activeState, subState, invocationId: undefined, result: 'success',
    mainPid: 0, execMainStatus: undefined, execMainCode: undefined, nRestarts: 0, environment: [], execStart: undefined,
    memoryMaxBytes: undefined, tasksMax: undefined, cpuQuotaPerSecUSec: undefined, controlGroup: undefined, ...extra,
  };
}

const up = (): UnitStatus => unit('rocklet-web.service', 'active', 'running');
const app = (name: string, activeState: UnitStatus['activeState'], subState: UnitStatus['subState'], extra: Partial<UnitStatus> = {}): [string, UnitStatus] =>
  [name, unit(`rocklet-web_${name}.service`, activeState, subState, extra)];

function pod(sandbox: UnitStatus | undefined, apps: [string, UnitStatus][]): ActualPod {
  return { pod: 'web', uuid: 'u-1', hash: HASH, file: key('web.yaml'), sandbox, apps: new Map(apps) };
}

function view(actual: ActualPod | undefined, apps: string[], restartPolicy: UnitView['restartPolicy'] = 'Always', exits: [string, number][] = [], inits: string[] = []): UnitView {
  return { actual, apps, inits, restartPolicy, exits: new Map(exits) };
}

describe('daemon/status stateFromUnits', () => {
  it('an active container counts as ready only when its probes say so; a failing readiness probe is a reason, not a failure', () => {
    const actual = pod(up(), [app('web', 'active', 'running'), app('log', 'active', 'running')]);
    const probes = new Map([['web', { started: true, ready: false, killed: false, failing: { probe: 'readiness' as const, reason: 'HTTP 500', count: 3, threshold: 3 } }]]);
    const state = stateFromUnits({ ...view(actual, ['web', 'log']), probes });
    assert.equal(state.state, 'Running');
    assert.deepEqual(state.ready, { ready: 1, total: 2 });
    assert.equal(state.reason, 'container web is not ready: readiness probe 3/3 failures: HTTP 500');
    const readyNow = new Map([['web', { started: true, ready: true, killed: false }]]);
    assert.deepEqual(stateFromUnits({ ...view(actual, ['web', 'log']), probes: readyNow }).ready, { ready: 2, total: 2 });
  });

  it('is Stopped without units or without a sandbox unit', () => {
    assert.deepEqual(stateFromUnits(view(undefined, ['nginx'])), { state: 'Stopped', reason: undefined, ready: undefined, restarts: 0 });
    assert.equal(stateFromUnits(view(pod(undefined, [app('nginx', 'active', 'running')]), ['nginx'])).state, 'Stopped');
  });

  it('is Running with every app ready and the restarts summed', () => {
    const actual = pod(up(), [app('nginx', 'active', 'running', { nRestarts: 2 }), app('log', 'active', 'running', { nRestarts: 3 }), app('init', 'inactive', 'dead', { nRestarts: 1 })]);
    assert.deepEqual(stateFromUnits(view(actual, ['nginx', 'log'])), { state: 'Running', reason: undefined, ready: { ready: 2, total: 2 }, restarts: 6 });
  });

  it('counts an undefined nRestarts as 0', () => {
    const actual = pod(up(), [app('nginx', 'active', 'running', { nRestarts: undefined }), app('log', 'active', 'running', { nRestarts: 4 })]);
    assert.equal(stateFromUnits(view(actual, ['nginx', 'log'])).restarts, 4);
  });

  it('is Running with ready 1/2 and a reason while one app restarts', () => {
    const actual = pod(up(), [app('nginx', 'active', 'running'), app('log', 'activating', 'auto-restart', { execMainStatus: 3, nRestarts: 5 })]);
    const state = stateFromUnits(view(actual, ['nginx', 'log']));
    assert.equal(state.state, 'Running');
    assert.deepEqual(state.ready, { ready: 1, total: 2 });
    assert.equal(state.reason, 'container log is restarting after exit code 3');
    assert.equal(state.restarts, 5);
  });

  it('prefers the recorded exit code when an app restarts', () => {
    const actual = pod(up(), [app('nginx', 'activating', 'auto-restart', { execMainStatus: 1 })]);
    const state = stateFromUnits(view(actual, ['nginx'], 'Always', [['nginx', 7]]));
    assert.equal(state.state, 'Running');
    assert.match(state.reason ?? '', /container nginx is restarting after exit code 7/);
  });

  it('is Starting while every app is still starting', () => {
    const actual = pod(up(), [app('nginx', 'activating', 'start')]);
    const state = stateFromUnits(view(actual, ['nginx']));
    assert.equal(state.state, 'Starting');
    assert.equal(state.reason, 'container nginx is starting');
  });

  for (const policy of ['OnFailure', 'Never'] as const) {
    it(`is Completed when every app exited 0 under ${policy}`, () => {
      const actual = pod(up(), [app('job', 'inactive', 'dead'), app('report', 'inactive', 'dead')]);
      assert.deepEqual(stateFromUnits(view(actual, ['job', 'report'], policy, [['job', 0], ['report', 0]])), {
        state: 'Completed', reason: undefined, ready: { ready: 0, total: 2 }, restarts: 0,
      });
    });
  }

  it('is not Completed under Always', () => {
    const actual = pod(up(), [app('job', 'inactive', 'dead')]);
    assert.notEqual(stateFromUnits(view(actual, ['job'], 'Always', [['job', 0]])).state, 'Completed');
  });

  it('is Failed with the exit code when an app exited non-zero and none is ready', () => {
    const actual = pod(up(), [app('job', 'inactive', 'dead'), app('report', 'inactive', 'dead')]);
    const state = stateFromUnits(view(actual, ['job', 'report'], 'Never', [['job', 0], ['report', 3]]));
    assert.equal(state.state, 'Failed');
    assert.equal(state.reason, 'container report exited with code 3');
    assert.deepEqual(state.ready, { ready: 0, total: 2 });
  });

  it('is Failed with the unit result when a failed app recorded no exit code', () => {
    const actual = pod(up(), [app('job', 'failed', 'failed', { result: 'oom-kill' })]);
    const state = stateFromUnits(view(actual, ['job'], 'Never'));
    assert.equal(state.state, 'Failed');
    assert.equal(state.reason, 'container job failed (oom-kill)');
  });

  it('stays Running while another app is ready even if one exited non-zero', () => {
    const actual = pod(up(), [app('nginx', 'active', 'running'), app('job', 'inactive', 'dead')]);
    const state = stateFromUnits(view(actual, ['nginx', 'job'], 'Never', [['job', 2]]));
    assert.equal(state.state, 'Running');
    assert.equal(state.reason, 'container job exited with code 2');
  });

  it('is Failed, naming the unit and its result, when the sandbox unit failed', () => {
    const actual = pod(unit('rocklet-web.service', 'failed', 'failed', { result: 'exit-code' }), [app('nginx', 'failed', 'failed', { nRestarts: 1 })]);
    assert.deepEqual(stateFromUnits(view(actual, ['nginx'])), {
      state: 'Failed', reason: 'sandbox unit rocklet-web.service failed (exit-code)', ready: undefined, restarts: 1,
    });
  });

  it('is Stopped when the sandbox unit is inactive', () => {
    const actual = pod(unit('rocklet-web.service', 'inactive', 'dead'), []);
    assert.deepEqual(stateFromUnits(view(actual, ['nginx'])), { state: 'Stopped', reason: undefined, ready: undefined, restarts: 0 });
  });

  it('shows the init container at hand while the init containers run (kubelet Init:n/m)', () => {
    const running = stateFromUnits(view(pod(up(), [app('migrate', 'activating', 'start')]), ['web'], 'Always', [], ['migrate', 'seed']));
    assert.deepEqual(running, { state: 'Starting', reason: 'init container migrate (1/2) is running', ready: { ready: 0, total: 1 }, restarts: 0 });
    const second = stateFromUnits(view(pod(up(), [app('seed', 'activating', 'start')]), ['web'], 'Always', [['migrate', 0]], ['migrate', 'seed']));
    assert.equal(second.reason, 'init container seed (2/2) is running');
    const waiting = stateFromUnits(view(pod(up(), []), ['web'], 'Always', [['migrate', 0]], ['migrate', 'seed']));
    assert.deepEqual([waiting.state, waiting.reason], ['Starting', 'init container seed (2/2) has not run yet']);
  });

  it('keeps a pod with a failed init container Starting (retried) unless restartPolicy is Never', () => {
    const actual = pod(up(), [app('migrate', 'failed', 'failed', { result: 'exit-code' })]);
    const retried = stateFromUnits(view(actual, ['web'], 'OnFailure', [['migrate', 3]], ['migrate']));
    assert.deepEqual([retried.state, retried.reason], ['Starting', 'init container migrate (1/1) exited with code 3']);
    const never = stateFromUnits(view(actual, ['web'], 'Never', [['migrate', 3]], ['migrate']));
    assert.deepEqual([never.state, never.reason], ['Failed', 'init container migrate (1/1) exited with code 3']);
    const noRecord = stateFromUnits(view(actual, ['web'], 'Always', [], ['migrate']));
    assert.equal(noRecord.reason, 'init container migrate (1/1) failed (exit-code)');
  });

  it('looks past the init containers once they all succeeded or an app runs', () => {
    const done = stateFromUnits(view(pod(up(), [app('web', 'active', 'running')]), ['web'], 'Always', [['migrate', 0]], ['migrate']));
    assert.deepEqual([done.state, done.ready], ['Running', { ready: 1, total: 1 }]);
    // An app running means the init containers are behind it, even without their records.
    const unrecorded = stateFromUnits(view(pod(up(), [app('web', 'active', 'running')]), ['web'], 'Always', [], ['migrate']));
    assert.equal(unrecorded.state, 'Running');
  });

  it('says an app without a unit is not running', () => {
    const state = stateFromUnits(view(pod(up(), [app('nginx', 'active', 'running')]), ['nginx', 'gone']));
    assert.equal(state.state, 'Running');
    assert.deepEqual(state.ready, { ready: 1, total: 2 });
    assert.equal(state.reason, 'container gone is not running');
  });
});

describe('daemon/status statusOfVerdict', () => {
  it('shows an invalid file, and the pod that keeps running for it', () => {
    const verdict = { kind: 'invalid', key: key('web.yaml'), reason: 'web.yaml:2:1: broken', pod: 'web' } as const;
    const alone = statusOfVerdict(verdict, 1000, undefined);
    assert.deepEqual(alone, { file: 'web.yaml', pod: 'web', state: 'Invalid', reason: 'web.yaml:2:1: broken', uuid: undefined, hash: undefined, ready: undefined, restarts: 0, since: 1000 });
    const kept = statusOfVerdict(verdict, 1000, pod(up(), []));
    assert.equal(kept.state, 'Invalid');
    assert.equal(kept.reason, 'web.yaml:2:1: broken (the last good version keeps running)');
    assert.equal(kept.uuid, 'u-1');
    assert.equal(kept.hash, HASH);
  });

  it('shows skipped and rejected files with their reason and hash', () => {
    const skipped = statusOfVerdict({ kind: 'skipped', key: key('a.yaml'), pod: 'a', hash: HASH, reason: 'nodeSelector does not match' }, 5, undefined);
    assert.equal(skipped.state, 'Skipped');
    assert.equal(skipped.reason, 'nodeSelector does not match');
    assert.equal(skipped.hash, HASH);
    const rejected = statusOfVerdict({ kind: 'rejected', key: key('b.yaml'), pod: 'a', hash: HASH, reason: 'pod name "a" is already used by a.yaml', other: key('a.yaml') }, 5, undefined);
    assert.equal(rejected.state, 'Rejected');
    assert.equal(rejected.pod, 'a');
    assert.match(rejected.reason ?? '', /already used by a\.yaml/);
  });
});
