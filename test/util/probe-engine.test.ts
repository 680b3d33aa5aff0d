/**
 * util/probe-engine against real sockets, processes and a network namespace: what each kind of
 * probe reports, which results come back (failures always, successes until reportSuccesses in a
 * row), timeouts, removal, and bad specs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineHandle, EngineProbeSpec, EngineResult } from '../../src/util/index.js';
import { bindNamespaces, probeEngine, unmountFs } from '../../src/util/index.js';

const FAST = { delayMs: 0, periodMs: 150, timeoutMs: 1000, reportSuccesses: 1 } as const;

/** Registers `spec`, collecting its results. */
function watch(spec: EngineProbeSpec): { readonly handle: EngineHandle; readonly results: EngineResult[] } {
  const results: EngineResult[] = [];
  const handle = probeEngine().add(spec, (result) => results.push(result));
  return { handle, results };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('probe engine', () => {
  let dir: string;
  let status = 200;
  let server: http.Server;
  let port: number;
  const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rltest-probe-engine-'));
    server = http.createServer((_req, res) => {
      res.statusCode = status;
      res.end('body');
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a tcp connect and a refused one by its errno name', async () => {
    const open = watch({ kind: 'tcp', host: '127.0.0.1', port, ...FAST });
    const refused = watch({ kind: 'tcp', host: '127.0.0.1', port: await closedPort(), ...FAST });
    try {
      await until('both results', () => open.results.length >= 1 && refused.results.length >= 1);
      assert.deepEqual(open.results[0], { kind: 'ok' });
      assert.deepEqual(refused.results[0], { kind: 'errno', code: 'ECONNREFUSED' });
    } finally {
      probeEngine().remove(open.handle);
      probeEngine().remove(refused.handle);
    }
  });

  it('reports an http probe of a port nothing listens on by its errno name', async () => {
    // (the request is sent right after connect(2): the refusal comes back from send(2) then)
    const refused = watch({ kind: 'http', host: '127.0.0.1', port: await closedPort(), request, ...FAST });
    try {
      await until('a result', () => refused.results.length >= 1);
      assert.deepEqual(refused.results[0], { kind: 'errno', code: 'ECONNREFUSED' });
    } finally {
      probeEngine().remove(refused.handle);
    }
  });

  it('reads an HTTP status; successes come back only until reportSuccesses in a row, failures every time', async () => {
    status = 200;
    const probe = watch({ kind: 'http', host: '127.0.0.1', port, request, ...FAST, reportSuccesses: 2 });
    try {
      const runsAt = (): number => probeEngine().stats().runs;
      await until('two successes', () => probe.results.length >= 2);
      const before = runsAt();
      await until('four more runs of the engine', () => runsAt() >= before + 4);
      assert.deepEqual(probe.results, [{ kind: 'ok' }, { kind: 'ok' }], 'a third success in a row is not reported');
      status = 503;
      await until('two failures', () => probe.results.length >= 4);
      assert.deepEqual(probe.results.slice(2, 4), [{ kind: 'status', status: 503 }, { kind: 'status', status: 503 }]);
      status = 200;
      await until('successes again', () => probe.results.filter((r) => r.kind === 'ok').length >= 4);
      const afterFailures = probe.results.slice(probe.results.findLastIndex((r) => r.kind === 'status') + 1);
      assert.deepEqual(afterFailures, [{ kind: 'ok' }, { kind: 'ok' }], 'two successes after the failures, then quiet');
    } finally {
      probeEngine().remove(probe.handle);
      status = 200;
    }
  });

  it('times out a server that accepts and never answers', async () => {
    // (the probe closes with a reset, as kubelet's does: the accepted socket sees ECONNRESET)
    const silent = net.createServer((socket) => socket.on('error', () => {})).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const probe = watch({ kind: 'http', host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port, request, ...FAST, timeoutMs: 200 });
    try {
      await until('a timeout', () => probe.results.length >= 1);
      assert.deepEqual(probe.results[0], { kind: 'timeout' });
    } finally {
      probeEngine().remove(probe.handle);
      silent.close();
    }
  });

  it('connects from inside a network namespace bound to a file', async () => {
    const netFile = path.join(dir, 'net');
    await writeFile(netFile, '');
    bindNamespaces({ net: netFile, loopbackUp: true });
    const inside = execFile('nsenter', [`--net=${netFile}`, process.execPath, '-e', "require('node:http').createServer((q, s) => { s.statusCode = 299; s.end(); }).listen(40998, '127.0.0.1')"]);
    const probe = watch({ kind: 'http', netns: netFile, host: '127.0.0.1', port: 40998, request, ...FAST });
    try {
      // Refused until node listens in there; then the server only that namespace has answers.
      await until('the answer from inside', () => probe.results.some((r) => r.kind === 'ok'), 30_000);
      assert.ok(probe.results.every((r) => r.kind === 'ok' || (r.kind === 'errno' && r.code === 'ECONNREFUSED')), JSON.stringify(probe.results));
      const host = watch({ kind: 'tcp', host: '127.0.0.1', port: 40998, ...FAST });
      await until('the host probe', () => host.results.length >= 1);
      probeEngine().remove(host.handle);
      assert.deepEqual(host.results[0], { kind: 'errno', code: 'ECONNREFUSED' }, 'the host has no such listener');
    } finally {
      probeEngine().remove(probe.handle);
      inside.kill();
      unmountFs(netFile, { detach: true });
    }
  });

  it('runs a command: exit code and output on failure, a failed start by its step', async () => {
    const failing = watch({ kind: 'exec', path: '/bin/sh', argv: ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 3'], cgroupProcs: [], ...FAST });
    const passing = watch({ kind: 'exec', path: '/bin/true', argv: ['true'], cgroupProcs: [], ...FAST });
    const missing = watch({ kind: 'exec', path: path.join(dir, 'no-such-program'), argv: ['x'], cgroupProcs: [], ...FAST });
    try {
      await until('three results', () => failing.results.length >= 1 && passing.results.length >= 1 && missing.results.length >= 1);
      assert.deepEqual(failing.results[0], { kind: 'exit', exitCode: 3, output: 'to-stdout\nto-stderr\n' });
      assert.deepEqual(passing.results[0], { kind: 'ok' });
      assert.deepEqual(missing.results[0], { kind: 'spawn', message: `execve: No such file or directory ${path.join(dir, 'no-such-program')}` });
    } finally {
      for (const probe of [failing, passing, missing]) probeEngine().remove(probe.handle);
    }
  });

  it('keeps the first 10 KiB of a large output and ends at the exit, not at the timeout', async () => {
    // 300 KB is more than a pipe holds: the engine must read while the command writes.
    const probe = watch({ kind: 'exec', path: '/bin/sh', argv: ['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x; exit 4'], cgroupProcs: [], ...FAST, timeoutMs: 10_000 });
    try {
      await until('a result', () => probe.results.length >= 1);
      assert.deepEqual(probe.results[0], { kind: 'exit', exitCode: 4, output: 'x'.repeat(10 * 1024) });
    } finally {
      probeEngine().remove(probe.handle);
    }
  });

  it('a process left holding the output does not hold the verdict back', async () => {
    const pidFile = path.join(dir, 'background-pid');
    const probe = watch({ kind: 'exec', path: '/bin/sh', argv: ['sh', '-c', `sleep 30 & echo $! > ${pidFile}; echo started; exit 5`], cgroupProcs: [], ...FAST, periodMs: 60_000, timeoutMs: 10_000 });
    try {
      await until('a result', () => probe.results.length >= 1, 8000);
      assert.deepEqual(probe.results[0], { kind: 'exit', exitCode: 5, output: 'started\n' });
    } finally {
      probeEngine().remove(probe.handle);
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('kills a command past its timeout and runs it again next period', async () => {
    const pids = path.join(dir, 'pids');
    const probe = watch({ kind: 'exec', path: '/bin/sh', argv: ['sh', '-c', `echo $$ >> ${pids}; exec sleep 30`], cgroupProcs: [], ...FAST, periodMs: 300, timeoutMs: 300 });
    try {
      await until('two timeouts', () => probe.results.length >= 2);
      assert.deepEqual(probe.results.slice(0, 2), [{ kind: 'timeout' }, { kind: 'timeout' }]);
      const first = Number((await readFile(pids, 'utf8')).split('\n')[0]);
      await until(`the first run's process ${first} gone`, () => !alive(first), 5000);
    } finally {
      probeEngine().remove(probe.handle);
    }
  });

  it('removal ends the run in flight and nothing more is reported', async () => {
    const pids = path.join(dir, 'removed-pids');
    const probe = watch({ kind: 'exec', path: '/bin/sh', argv: ['sh', '-c', `echo $$ >> ${pids}; exec sleep 30`], cgroupProcs: [], ...FAST, timeoutMs: 60_000 });
    let pid = 0;
    for (let i = 0; i < 500 && pid === 0; i++) {
      pid = Number((await readFile(pids, 'utf8').catch(() => '')).split('\n')[0] ?? 0);
      if (pid === 0) await sleep(20);
    }
    assert.ok(pid > 0 && alive(pid), 'the probe command runs');
    probeEngine().remove(probe.handle);
    await until(`process ${pid} gone after the removal`, () => !alive(pid), 5000);
    await sleep(500);
    assert.deepEqual(probe.results, [], 'no result after the removal');
    assert.equal((await readFile(pids, 'utf8')).trim().split('\n').length, 1, 'not run again');
  });

  it('keeps 600 probes of different periods on schedule, and removing half stops exactly those', async () => {
    // Refused connects report every run, so each probe's results count its runs.
    const refusedPort = await closedPort();
    const periods = [100, 150, 250, 400];
    const probes = Array.from({ length: 600 }, (_, i) =>
      watch({ kind: 'tcp', host: '127.0.0.1', port: refusedPort, delayMs: i % 97, periodMs: periods[i % periods.length] ?? 100, timeoutMs: 1000, reportSuccesses: 1 }));
    try {
      const t0 = Date.now();
      await sleep(2000);
      const elapsed = Date.now() - t0;
      probes.forEach((probe, i) => {
        const period = periods[i % periods.length] ?? 100;
        // Runs start on a 25 ms grid and a busy test machine may delay a few: within ±2 of the schedule.
        const expected = Math.floor((elapsed - (i % 97)) / period) + 1;
        assert.ok(Math.abs(probe.results.length - expected) <= 2, `probe ${i} (period ${period} ms): ${probe.results.length} runs, ~${expected} due`);
        assert.ok(probe.results.every((r) => r.kind === 'errno' && r.code === 'ECONNREFUSED'), `probe ${i}: ${JSON.stringify(probe.results[0])}`);
      });
      const removed = probes.filter((_, i) => i % 2 === 0);
      for (const probe of removed) probeEngine().remove(probe.handle);
      const countsAtRemoval = probes.map((probe) => probe.results.length);
      await sleep(1000);
      probes.forEach((probe, i) => {
        const grown = probe.results.length - (countsAtRemoval[i] ?? 0);
        if (i % 2 === 0) assert.ok(grown <= 1, `removed probe ${i} ran ${grown} more times`); // at most the run in flight
        else assert.ok(grown >= 2, `kept probe ${i} ran only ${grown} times in a second`);
      });
    } finally {
      for (const probe of probes) probeEngine().remove(probe.handle);
    }
  });

  it('refuses a spec it cannot run, naming the field', () => {
    assert.throws(() => probeEngine().add({ kind: 'tcp', host: 'localhost', port: 80, ...FAST }, () => {}), /bad host or port/);
    assert.throws(() => probeEngine().add({ kind: 'tcp', host: '127.0.0.1', port: 0, ...FAST }, () => {}), /bad host or port/);
    assert.throws(() => probeEngine().add({ kind: 'exec', path: 'sh', argv: ['sh'], cgroupProcs: [], ...FAST }, () => {}), /bad path, argv or cgroupProcs/);
    assert.throws(() => probeEngine().add({ kind: 'tcp', host: '127.0.0.1', port: 80, ...FAST, periodMs: 0 }, () => {}), /bad delayMs, periodMs/);
  });
});
