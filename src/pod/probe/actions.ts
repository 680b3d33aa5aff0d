/**
 * @module pod/probe/actions — runs one probe or hook action against a running container, from
 * the caller's process (the daemon, `rocklet app hook`, the standalone supervisor):
 *
 * - exec: `crun exec` into the container (what `rocklet enter` does), started by util's
 *   clone-vfork spawn (no fork of the caller) in the container's cgroups (stage1/container-cgroups.ts),
 *   stdout+stderr read from a pipe (first 10 KiB, as kubelet keeps); exit 0 is success.
 * - httpGet / tcpSocket / grpc: a socket made inside the pod's network namespace (util's
 *   `netnsSocket`, pod-socket.ts), connected by Node's net/http/tls/http2: no host port and no
 *   process. The host defaults to the pod's address (Kubernetes: the pod IP), else 127.0.0.1.
 *   HTTPS is not verified (kubelet does not verify either); 200–399 is success; redirects are
 *   not followed. grpc: grpc.ts.
 * - sleep (hooks): waits.
 *
 * Every action ends when `signal` aborts (the caller's timeout): the crun process is killed.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { ExecAction, HookAction, HttpGetAction, ProbeAction, TcpSocketAction } from '../../podfile/index.js';
import { reapChild, spawnCaptured } from '../../util/index.js';
import { execVerbArgv, globalArgv } from '../stage1/crun-argv.js';
import { containerCgroupProcs } from '../stage1/container-cgroups.js';
import { runGrpc } from './grpc.js';
import { commandFailedReason, dialFailedReason, httpFailedReason, httpStatusReason, probeUrl } from './probe-messages.js';
import type { ProbeTarget } from './pod-socket.js';
import { abortedResult, hostOf, podSocket } from './pod-socket.js';
import type { ProbeResult } from './probe-state.js';

export type { ProbeTarget } from './pod-socket.js';


const OUTPUT_LIMIT = 10 * 1024;
const REAP_DELAYS_MS = [1, 2, 5, 10, 20, 50, 100, 200];

/** Reaps child `pid`, waiting a little for a child that closed its output before exiting. */
async function reap(pid: number, signal: AbortSignal): Promise<{ exitCode: number | null; signal: number | null }> {
  for (let attempt = 0; ; attempt++) {
    const status = reapChild(pid);
    if (status !== undefined) return status;
    if (signal.aborted) process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, REAP_DELAYS_MS[Math.min(attempt, REAP_DELAYS_MS.length - 1)]));
  }
}

async function runExec(target: ProbeTarget, action: ExecAction, signal: AbortSignal): Promise<ProbeResult> {
  const argv = [...globalArgv({ binary: target.crunBinary, root: target.crunRoot, cgroupManager: 'disabled' }), ...execVerbArgv(target.containerId, { args: action.command })];
  const cgroupProcs = await (target.cgroupProcs?.() ?? containerCgroupProcs(target.crunRoot, target.containerId));
  const child = spawnCaptured(target.crunBinary, argv, cgroupProcs);
  const pipe = new net.Socket({ fd: child.fd, readable: true, writable: false });
  let output = '';
  const onAbort = (): void => {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch (error) {
      // ESRCH: it exited already; the reap below collects it.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    pipe.destroy();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve) => {
      pipe.on('data', (chunk: Buffer) => {
        if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8', 0, Math.min(chunk.length, OUTPUT_LIMIT - output.length));
      });
      pipe.once('close', () => resolve());
      pipe.once('error', () => resolve());
    });
    const status = await reap(child.pid, signal);
    if (signal.aborted) return abortedResult(signal);
    if (status.exitCode === 0) return { ok: true, output };
    const end = status.exitCode === null ? { signal: status.signal ?? '?' } : { exitCode: status.exitCode };
    return { ok: false, reason: commandFailedReason(action.command, end, output), output };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function runTcp(target: ProbeTarget, action: TcpSocketAction, signal: AbortSignal): Promise<ProbeResult> {
  const host = hostOf(target, action);
  const socket = podSocket(target, action.port, host);
  const onAbort = (): void => void socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await new Promise<ProbeResult>((resolve) => {
      socket.once('connect', () => resolve({ ok: true }));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, reason: dialFailedReason(host, action.port, error.code ?? error.message) }));
      socket.once('close', () => resolve(abortedResult(signal)));
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

async function runHttp(target: ProbeTarget, action: HttpGetAction, signal: AbortSignal): Promise<ProbeResult> {
  const host = hostOf(target, action);
  const url = probeUrl(action, host);
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/rocklet', Accept: '*/*', Connection: 'close' };
  for (const header of action.headers) headers[header.name] = header.value;
  return new Promise<ProbeResult>((resolve) => {
    const request = http.request({
      method: 'GET',
      host,
      port: action.port,
      path: action.path,
      headers,
      signal,
      createConnection: () => {
        const socket = podSocket(target, action.port, host);
        return action.scheme === 'HTTPS' ? tls.connect({ socket, rejectUnauthorized: false, ...(net.isIP(host) === 0 ? { servername: host } : {}) }) : socket;
      },
    });
    request.once('response', (response) => {
      const status = response.statusCode ?? 0;
      response.destroy();
      request.destroy();
      resolve(status >= 200 && status < 400 ? { ok: true } : { ok: false, reason: httpStatusReason(status, url) });
    });
    request.once('error', (error: NodeJS.ErrnoException) => {
      resolve(signal.aborted ? abortedResult(signal) : { ok: false, reason: httpFailedReason(url, error.code ?? error.message) });
    });
    request.end();
  });
}

async function runSleep(seconds: number, signal: AbortSignal): Promise<ProbeResult> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
  return signal.aborted ? abortedResult(signal) : { ok: true };
}

/** Runs `action` once against `target`; failures are results, not exceptions. */
export async function runProbeAction(target: ProbeTarget, action: ProbeAction | HookAction, signal: AbortSignal): Promise<ProbeResult> {
  if (signal.aborted) return abortedResult(signal);
  try {
    switch (action.kind) {
      case 'exec':
        return await runExec(target, action, signal);
      case 'httpGet':
        return await runHttp(target, action, signal);
      case 'tcpSocket':
        return await runTcp(target, action, signal);
      case 'grpc':
        return await runGrpc(target, action, signal);
      case 'sleep':
        return await runSleep(action.seconds, signal);
    }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
