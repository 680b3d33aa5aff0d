/**
 * grpc probes against real HTTP/2 servers: a gRPC health server written with node:http2 (the
 * protocol's own framing, protobuf by hand), on loopback and inside a scratch network namespace
 * reached the way the daemon reaches a pod's (util's netnsSocket); an HTTP/1 server, a closed
 * port and a server that never answers are the failures.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ProbeTarget } from '../../../src/pod/probe/actions.js';
import { runProbeAction } from '../../../src/pod/probe/actions.js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from '../../../src/pod/probe/grpc.js';
import type { Netns } from '../../harness/index.js';
import { createNetns } from '../../harness/index.js';

const TARGET: ProbeTarget = { podIp: '127.0.0.1', crunBinary: '/usr/bin/crun', crunRoot: '/run/rocklet/crun', containerId: 'none' };

/**
 * A gRPC health server (`grpc.health.v1.Health/Check`) as a standalone script, so the same code
 * runs here and inside a network namespace (`ip netns exec … node -e`). It prints its port.
 * Services: '' and `up` SERVING, `down` NOT_SERVING, anything else NOT_FOUND (grpc-go's answer);
 * another method: Unimplemented.
 */
const SERVER = `
const http2 = require('node:http2');
const STATUS = { '': 1, up: 1, down: 2 };
const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => {
    if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown service' }, { endStream: true });
      return;
    }
    const body = Buffer.concat(chunks);
    const message = body.subarray(5);
    const service = message.length === 0 ? '' : message.subarray(2, 2 + message[1]).toString();
    const status = STATUS[service];
    if (status === undefined) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'unknown%20service' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

interface RunningServer {
  readonly port: number;
  readonly child: ChildProcess;
}

async function startServer(prefix: readonly string[]): Promise<RunningServer> {
  const child = spawn(prefix[0] ?? 'env', [...prefix.slice(1), process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`gRPC test server exited with ${code}`)));
  });
  return { port, child };
}

async function stopServer(running: RunningServer | undefined): Promise<void> {
  const child = running?.child;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
}

function grpc(port: number, service = ''): { kind: 'grpc'; port: number; service: string } {
  return { kind: 'grpc', port, service };
}

describe('grpc probe (gRPC health protocol over HTTP/2)', () => {
  let server: RunningServer;
  let netns: Netns;
  let inNetns: RunningServer;
  let http1: http.Server;
  let silent: http2.Http2Server;
  before(async () => {
    server = await startServer(['env']);
    netns = await createNetns();
    inNetns = await startServer(['ip', 'netns', 'exec', netns.name]);
    http1 = http.createServer((_, response) => response.end('not grpc'));
    await new Promise<void>((resolve) => http1.listen(0, '127.0.0.1', resolve));
    silent = http2.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await Promise.all([stopServer(server), stopServer(inNetns)]);
    await netns.remove();
    http1.close();
    silent.close();
  });

  it('SERVING is success, for the whole server and for a named service', async () => {
    assert.deepEqual(await runProbeAction(TARGET, grpc(server.port), AbortSignal.timeout(5000)), { ok: true });
    assert.deepEqual(await runProbeAction(TARGET, grpc(server.port, 'up'), AbortSignal.timeout(5000)), { ok: true });
  });

  it('reaches a server inside the pod\'s network namespace, which the host cannot', async () => {
    const target = { ...TARGET, netns: `/run/netns/${netns.name}` };
    assert.deepEqual(await runProbeAction(target, grpc(inNetns.port), AbortSignal.timeout(5000)), { ok: true });
    // The same port on the host's loopback is closed (or someone else's): not this server.
    if (inNetns.port !== server.port) {
      const fromHost = await runProbeAction(TARGET, grpc(inNetns.port), AbortSignal.timeout(5000));
      assert.equal(fromHost.ok, false);
    }
  });

  it('NOT_SERVING fails as kubelet words it', async () => {
    assert.deepEqual(await runProbeAction(TARGET, grpc(server.port, 'down'), AbortSignal.timeout(5000)), { ok: false, reason: 'service unhealthy (responded with "NOT_SERVING")' });
  });

  it('an unknown service fails with the gRPC error the server sent', async () => {
    assert.deepEqual(await runProbeAction(TARGET, grpc(server.port, 'nope'), AbortSignal.timeout(5000)), {
      ok: false, reason: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
  });

  it('a closed port, an HTTP/1 server and a server that never answers fail, naming why', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const refused = await runProbeAction(TARGET, grpc(closed), AbortSignal.timeout(5000));
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.reason, new RegExp(`failed to connect service "127.0.0.1:${closed}": ECONNREFUSED`));
    const notGrpc = await runProbeAction(TARGET, grpc((http1.address() as AddressInfo).port), AbortSignal.timeout(5000));
    assert.equal(notGrpc.ok, false);
    assert.match(notGrpc.ok ? '' : notGrpc.reason, /health rpc probe failed/);
    const timedOut = await runProbeAction(TARGET, grpc((silent.address() as AddressInfo).port), AbortSignal.timeout(300));
    assert.equal(timedOut.ok, false);
    assert.match(timedOut.ok ? '' : timedOut.reason, /timeout|aborted/i);
  });

  it('encodes the request and decodes responses as protobuf does (unknown fields skipped)', () => {
    assert.deepEqual([...encodeHealthCheckRequest('')], [0, 0, 0, 0, 0]);
    assert.deepEqual([...encodeHealthCheckRequest('ab')], [0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]);
    assert.deepEqual(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), { status: 1 });
    assert.deepEqual(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 0])), { status: 0 });
    // field 2 (string "x") before the status: skipped.
    assert.deepEqual(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 5, 0x12, 1, 0x78, 0x08, 2])), { status: 2 });
    assert.match(JSON.stringify(decodeHealthCheckResponse(Buffer.from([1, 0, 0, 0, 0]))), /compressed/);
    assert.match(JSON.stringify(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 9, 0x08]))), /cut short/);
  });
});
