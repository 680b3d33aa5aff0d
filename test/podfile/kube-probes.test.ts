import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pod, podSpec, rejects, valid } from './helpers.js';

const C = 'spec.containers[0]';
const PORTS = '      ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]';

describe('podfile: probes and lifecycle hooks', () => {
  it('applies Kubernetes defaults and resolves a named port to its number', () => {
    const spec = podSpec({ container: `${PORTS}\n      livenessProbe: {httpGet: {port: http}}\n      readinessProbe: {exec: {command: [cat, /tmp/ready]}, periodSeconds: 5, successThreshold: 2}\n      startupProbe: {tcpSocket: {port: 8080}, failureThreshold: 30, terminationGracePeriodSeconds: 7}` });
    const probes = spec.containers[0]?.probes;
    assert.deepEqual(probes?.liveness, {
      action: { kind: 'httpGet', path: '/', port: 8080, scheme: 'HTTP', headers: [] },
      initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3,
    });
    assert.deepEqual(probes?.readiness?.action, { kind: 'exec', command: ['cat', '/tmp/ready'] });
    assert.equal(probes?.readiness?.periodSeconds, 5);
    assert.equal(probes?.readiness?.successThreshold, 2);
    assert.deepEqual(probes?.startup?.action, { kind: 'tcpSocket', port: 8080 });
    assert.equal(probes?.startup?.failureThreshold, 30);
    assert.equal(probes?.startup?.terminationGracePeriodSeconds, 7);
  });

  it('reads httpGet path, host, scheme and headers', () => {
    const spec = podSpec({ container: '      livenessProbe: {httpGet: {path: healthz, port: 443, host: 127.0.0.1, scheme: HTTPS, httpHeaders: [{name: X-Probe, value: "1"}]}}' });
    assert.deepEqual(spec.containers[0]?.probes?.liveness?.action, {
      kind: 'httpGet', path: '/healthz', port: 443, host: '127.0.0.1', scheme: 'HTTPS', headers: [{ name: 'X-Probe', value: '1' }],
    });
  });

  it('reads grpc probes: a port number and an optional service (the pod\'s own address, as Kubernetes)', () => {
    const spec = podSpec({ container: '      livenessProbe: {grpc: {port: 2379}}\n      readinessProbe: {grpc: {port: 9090, service: myapp.Backend}}' });
    assert.deepEqual(spec.containers[0]?.probes?.liveness?.action, { kind: 'grpc', port: 2379, service: '' });
    assert.deepEqual(spec.containers[0]?.probes?.readiness?.action, { kind: 'grpc', port: 9090, service: 'myapp.Backend' });
  });

  it('refuses a grpc probe with a named port, a host, or a bad service name, naming the field', () => {
    rejects(pod({ container: `${PORTS}\n      livenessProbe: {grpc: {port: http}}` }), `${C}.livenessProbe.grpc.port`, /must be a port number: Kubernetes does not resolve named ports for grpc probes/);
    rejects(pod({ container: '      livenessProbe: {grpc: {port: 9090, host: 10.0.0.1}}' }), `${C}.livenessProbe.grpc.host`, /grpc probes have no host field/);
    rejects(pod({ container: '      livenessProbe: {grpc: {port: 9090, service: "a b"}}' }), `${C}.livenessProbe.grpc.service`, /"a b" is not a gRPC service name/);
    rejects(pod({ container: '      livenessProbe: {grpc: {service: x}}' }), `${C}.livenessProbe.grpc.port`, /required field is missing/);
    rejects(pod({ container: '      livenessProbe: {grpc: {port: 0}}' }), `${C}.livenessProbe.grpc.port`, /between 1 and 65535/);
    rejects(pod({ container: '      lifecycle: {postStart: {grpc: {port: 80}}}' }), `${C}.lifecycle.postStart.grpc`, /unknown field "grpc"/);
  });

  it('reads postStart and preStop hooks (exec, httpGet, sleep)', () => {
    const spec = podSpec({ container: `${PORTS}\n      lifecycle: {postStart: {exec: {command: [sh, -c, "echo hi"]}}, preStop: {sleep: {seconds: 3}}}` });
    assert.deepEqual(spec.containers[0]?.lifecycle, { postStart: { kind: 'exec', command: ['sh', '-c', 'echo hi'] }, preStop: { kind: 'sleep', seconds: 3 } });
    const http = podSpec({ container: `${PORTS}\n      lifecycle: {preStop: {httpGet: {path: /quit, port: http}}}` });
    assert.deepEqual(http.containers[0]?.lifecycle?.preStop, { kind: 'httpGet', path: '/quit', port: 8080, scheme: 'HTTP', headers: [] });
  });

  it('a container without probes or hooks has neither field (its spec hash is unchanged)', () => {
    const spec = podSpec();
    assert.equal(spec.containers[0]?.probes, undefined);
    assert.equal(spec.containers[0]?.lifecycle, undefined);
    assert.equal(valid(pod()).warnings.length, 0);
  });

  it('refuses a port name the container does not declare, naming the ones it does', () => {
    rejects(pod({ container: `${PORTS}\n      livenessProbe: {httpGet: {port: metrics}}` }), `${C}.livenessProbe.httpGet.port`, /port "metrics" is not declared in this container's ports \(named TCP ports: http \(8080\)\)/);
    rejects(pod({ container: `${PORTS}\n      readinessProbe: {tcpSocket: {port: dns}}` }), `${C}.readinessProbe.tcpSocket.port`, /port "dns" is not declared/);
    rejects(pod({ container: '      lifecycle: {preStop: {httpGet: {port: web}}}' }), `${C}.lifecycle.preStop.httpGet.port`, /it names no TCP ports/);
  });

  it('refuses bad handlers and timing fields with one error each', () => {
    rejects(pod({ container: '      livenessProbe: {periodSeconds: 5}' }), `${C}.livenessProbe`, /needs one handler: exec, httpGet, tcpSocket, grpc/);
    rejects(pod({ container: '      livenessProbe: {exec: {command: [x]}, tcpSocket: {port: 1}}' }), `${C}.livenessProbe`, /has 2 handlers \(exec, tcpSocket\)/);
    rejects(pod({ container: '      livenessProbe: {grpc: {port: 1}, tcpSocket: {port: 1}}' }), `${C}.livenessProbe`, /has 2 handlers \(tcpSocket, grpc\)/);
    rejects(pod({ container: '      livenessProbe: {exec: {command: [x]}, successThreshold: 2}' }), `${C}.livenessProbe.successThreshold`, /must be 1 for a livenessProbe/);
    rejects(pod({ container: '      readinessProbe: {exec: {command: [x]}, terminationGracePeriodSeconds: 2}' }), `${C}.readinessProbe.terminationGracePeriodSeconds`, /only livenessProbe and startupProbe/);
    rejects(pod({ container: '      readinessProbe: {exec: {command: [x]}, periodSeconds: -1}' }), `${C}.readinessProbe.periodSeconds`, /must be between 0 and/);
    rejects(pod({ container: '      readinessProbe: {exec: {command: []}}' }), `${C}.readinessProbe.exec.command`, /must name a command/);
    rejects(pod({ container: '      readinessProbe: {httpGet: {port: 70000}}' }), `${C}.readinessProbe.httpGet.port`, /between 1 and 65535/);
    rejects(pod({ container: '      readinessProbe: {httpGet: {port: 80, scheme: FTP}}' }), `${C}.readinessProbe.httpGet.scheme`, /"FTP" is not one of HTTP, HTTPS/);
    rejects(pod({ container: '      lifecycle: {postStart: {tcpSocket: {port: 80}}}' }), `${C}.lifecycle.postStart.tcpSocket`, /tcpSocket hooks are deprecated/);
    rejects(pod({ container: '      lifecycle: {preStart: {sleep: {seconds: 1}}}' }), `${C}.lifecycle.preStart`, /unknown field "preStart"/);
  });
});
