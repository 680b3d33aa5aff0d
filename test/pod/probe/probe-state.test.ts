import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContainerProbeState } from '../../../src/pod/index.js';
import type { ProbeSpec } from '../../../src/podfile/index.js';

const OK = { ok: true } as const;
const FAIL = { ok: false, reason: 'connection refused' } as const;

function probe(overrides: Partial<ProbeSpec> = {}): ProbeSpec {
  return { action: { kind: 'tcpSocket', port: 80 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...overrides };
}

describe('probe state machine', () => {
  it('a container without probes is started and ready at once', () => {
    const state = new ContainerProbeState({});
    assert.equal(state.started, true);
    assert.equal(state.ready, true);
    assert.equal(state.active('liveness'), false);
  });

  it('the startup probe gates liveness and readiness; one success starts the container', () => {
    const state = new ContainerProbeState({ startup: probe({ failureThreshold: 5 }), liveness: probe(), readiness: probe() });
    assert.deepEqual([state.active('startup'), state.active('liveness'), state.active('readiness')], [true, false, false]);
    assert.deepEqual(state.record('liveness', FAIL), [], 'results of gated probes are ignored');
    assert.deepEqual(state.record('startup', FAIL), [{ kind: 'failing', probe: 'startup', reason: 'connection refused', count: 1, threshold: 5 }]);
    assert.deepEqual(state.record('startup', OK), [{ kind: 'started' }]);
    assert.deepEqual([state.active('startup'), state.active('liveness'), state.active('readiness')], [false, true, true]);
    assert.equal(state.ready, false, 'readiness starts false until its probe succeeds');
    assert.deepEqual(state.record('readiness', OK), [{ kind: 'ready' }]);
    assert.equal(state.ready, true);
  });

  it('startup failures up to the threshold kill the container', () => {
    const state = new ContainerProbeState({ startup: probe({ failureThreshold: 2 }) });
    state.record('startup', FAIL);
    assert.deepEqual(state.record('startup', FAIL), [{ kind: 'kill', probe: 'startup', reason: 'connection refused', count: 2 }]);
    assert.equal(state.killed, true);
    assert.equal(state.active('startup'), false);
  });

  it('liveness: failureThreshold failures in a row kill; a success in between resets the count', () => {
    const state = new ContainerProbeState({ liveness: probe({ failureThreshold: 3 }) });
    state.record('liveness', FAIL);
    state.record('liveness', FAIL);
    assert.deepEqual(state.record('liveness', OK), []);
    assert.equal(state.record('liveness', FAIL)[0]?.kind, 'failing');
    state.record('liveness', FAIL);
    assert.equal(state.killed, false);
    const last = state.record('liveness', FAIL);
    assert.deepEqual(last.map((t) => t.kind), ['not-ready', 'kill'], 'a killed container is no longer ready');
    assert.equal(state.active('liveness'), false, 'probing stops until the container runs again');
  });

  it('readiness flips with successThreshold and failureThreshold', () => {
    const state = new ContainerProbeState({ readiness: probe({ successThreshold: 2, failureThreshold: 2 }) });
    assert.deepEqual(state.record('readiness', OK), []);
    assert.deepEqual(state.record('readiness', OK), [{ kind: 'ready' }]);
    assert.deepEqual(state.record('readiness', FAIL).map((t) => t.kind), ['failing']);
    assert.equal(state.ready, true, 'one failure is below the threshold');
    assert.deepEqual(state.record('readiness', FAIL), [{ kind: 'not-ready', reason: 'connection refused' }]);
    assert.deepEqual(state.record('readiness', FAIL), [], 'staying not ready is no transition');
    assert.equal(state.summary().failing?.count, 3);
    assert.deepEqual(state.record('readiness', OK), []);
    assert.deepEqual(state.record('readiness', OK), [{ kind: 'ready' }]);
    assert.equal(state.summary().failing, undefined);
    assert.equal(state.killed, false, 'readiness never kills');
  });
});
