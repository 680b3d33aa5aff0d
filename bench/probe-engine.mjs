// The native probe engine alone (util/probe-engine, native/probe-engine.c): CPU of its thread per
// run for 200 probes of one kind on the host's loopback, each every second, over 10 s.
// exec runs /bin/true (no container, no cgroups); http asks a Node server; tcp connects to one.
// Usage: npm run build && node bench/probe-engine.mjs [exec|http|tcp ...]   (Linux; no root needed)
import http from 'node:http';
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { probeEngine } from '../dist/src/util/index.js';

const kinds = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['exec', 'http', 'tcp'];
const engine = probeEngine();
const tcpServer = net.createServer((socket) => socket.on('error', () => {}).destroy()).listen(0, '127.0.0.1');
const httpServer = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
await Promise.all([tcpServer, httpServer].map((server) => new Promise((resolve) => server.once('listening', resolve))));

/**
 * Nanoseconds the engine's thread has run (schedstat's first field: the scheduler's own
 * accounting, not 10 ms ticks, so a 10 s window of ~2,000 runs resolves to well under 1 µs a run).
 */
function engineNs() {
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    if (!stat.includes('(rocklet-probes)')) continue;
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  return 0;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
for (const kind of kinds) {
  const timing = { periodMs: 1000, timeoutMs: 900, reportSuccesses: 1 };
  const handles = [];
  for (let i = 0; i < 200; i++) {
    const delayMs = i * 5; // spread over the period
    const spec =
      kind === 'exec' ? { kind, path: '/bin/true', argv: ['true'], cgroupProcs: [] }
      : kind === 'http' ? { kind, host: '127.0.0.1', port: httpServer.address().port, request: 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' }
      : { kind, host: '127.0.0.1', port: tcpServer.address().port };
    handles.push(engine.add({ ...spec, delayMs, ...timing }, () => {}));
  }
  await sleep(2000);
  const ns0 = engineNs();
  const runs0 = engine.stats().runs;
  await sleep(10_000);
  const ns = engineNs() - ns0;
  const runs = engine.stats().runs - runs0;
  for (const handle of handles) engine.remove(handle);
  console.log(`${kind}: ${runs} runs, engine thread ${(ns / 1e6).toFixed(1)} ms = ${(ns / 1000 / runs).toFixed(1)} µs a run`);
  await sleep(1500);
}
tcpServer.close();
httpServer.close();
process.exit(0);
