/**
 * pod/probe/native-probes: the request the engine writes, and that a probe run on the native
 * engine says what runProbeAction says for the same target (real sockets on loopback).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ProbeResult } from '../../../src/pod/index.js';
import { engineOffload, renderHttpRequest } from '../../../src/pod/index.js';
import type { ProbeTarget } from '../../../src/pod/probe/actions.js';
import { runProbeAction } from '../../../src/pod/probe/actions.js';
import type { HttpGetAction, ProbeAction, ProbeSpec } from '../../../src/podfile/index.js';
import { probeEngine } from '../../../src/util/index.js';

const TARGET: ProbeTarget = { crunBinary: '/usr/bin/crun', crunRoot: '/run/crun', containerId: 'unused' };

function httpGet(port: number, overrides: Partial<HttpGetAction> = {}): HttpGetAction {
  return { kind: 'httpGet', path: '/healthz', port, host: '127.0.0.1', scheme: 'HTTP', headers: [], ...overrides };
}

function spec(action: ProbeAction): ProbeSpec {
  return { action, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
}

/** The first result of `action` run on the engine. */
async function onEngine(action: ProbeAction, target: ProbeTarget = TARGET): Promise<ProbeResult | 'declined'> {
  let first: ProbeResult | undefined;
  const stop = await engineOffload(probeEngine(), target).start('liveness', spec(action), 0, (result) => (first ??= result));
  if (stop === undefined) return 'declined';
  try {
    const deadline = Date.now() + 10_000;
    while (first === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(first !== undefined, 'a result within 10 s');
    return first;
  } finally {
    stop();
  }
}

describe('native probes: the request', () => {
  it('is what Node\'s client sends for the probe, custom headers replacing defaults by name', () => {
    assert.equal(renderHttpRequest(httpGet(8080), '10.0.0.2'), 'GET /healthz HTTP/1.1\r\nUser-Agent: kube-probe/rocklet\r\nAccept: */*\r\nConnection: close\r\nHost: 10.0.0.2:8080\r\n\r\n');
    assert.equal(renderHttpRequest(httpGet(80, { path: '/' }), '10.0.0.2'), 'GET / HTTP/1.1\r\nUser-Agent: kube-probe/rocklet\r\nAccept: */*\r\nConnection: close\r\nHost: 10.0.0.2\r\n\r\n');
    const custom = renderHttpRequest(httpGet(8080, { headers: [{ name: 'user-agent', value: 'mine' }, { name: 'Host', value: 'app.example' }, { name: 'X-Probe', value: 'a b' }] }), '10.0.0.2');
    assert.equal(custom, 'GET /healthz HTTP/1.1\r\nuser-agent: mine\r\nAccept: */*\r\nConnection: close\r\nHost: app.example\r\nX-Probe: a b\r\n\r\n');
  });

  it('is not rendered when a part could not go on the wire as is (the probe then runs through Node\'s client, which refuses it)', () => {
    assert.equal(renderHttpRequest(httpGet(8080, { headers: [{ name: 'X-Bad', value: 'a\r\nInjected: 1' }] }), '10.0.0.2'), undefined);
    assert.equal(renderHttpRequest(httpGet(8080, { headers: [{ name: 'Bad Name', value: 'a' }] }), '10.0.0.2'), undefined);
    assert.equal(renderHttpRequest(httpGet(8080, { path: '/a b' }), '10.0.0.2'), undefined);
  });
});

describe('native probes: the same verdicts and messages as runProbeAction', () => {
  let status = 200;
  let server: http.Server;
  let silent: net.Server;
  let closed: number;

  before(async () => {
    server = http.createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    }).listen(0, '127.0.0.1');
    silent = net.createServer((socket) => socket.on('error', () => {})).listen(0, '127.0.0.1');
    const spare = net.createServer().listen(0, '127.0.0.1');
    await Promise.all([server, silent, spare].map((s) => new Promise((resolve) => s.once('listening', resolve))));
    closed = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
  });

  after(() => {
    server.close();
    silent.close();
  });

  const cases: [string, () => ProbeAction, number?][] = [
    ['an HTTP 200', () => httpGet((server.address() as AddressInfo).port)],
    ['an HTTP 404', () => httpGet((server.address() as AddressInfo).port), 404],
    ['an HTTP GET to a closed port', () => httpGet(closed)],
    ['an HTTP server that never answers', () => httpGet((silent.address() as AddressInfo).port)],
    ['a tcp connect', () => ({ kind: 'tcpSocket', port: (server.address() as AddressInfo).port, host: '127.0.0.1' })],
    ['a tcp connect to a closed port', () => ({ kind: 'tcpSocket', port: closed, host: '127.0.0.1' })],
  ];
  for (const [name, action, answer] of cases) {
    it(name, async () => {
      status = answer ?? 200;
      const expected = await runProbeAction(TARGET, action(), AbortSignal.timeout(1000));
      const actual = await onEngine(action());
      assert.deepEqual(actual, expected.ok ? { ok: true } : { ok: false, reason: expected.reason.replace('The operation was aborted due to timeout', 'timed out after 1s') });
    });
  }

  it('declines what it does not run: HTTPS, a host name, grpc', async () => {
    assert.equal(await onEngine(httpGet(443, { scheme: 'HTTPS' })), 'declined');
    assert.equal(await onEngine(httpGet(80, { host: 'localhost' })), 'declined');
    assert.equal(await onEngine({ kind: 'grpc', port: 50051, service: '' }), 'declined');
  });
});
