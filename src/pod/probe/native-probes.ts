/**
 * @module pod/probe/native-probes — hands a container's periodic probes to util's native probe
 * engine (one thread that owns their timers and I/O and reports only the results thresholds
 * need), with the same meaning and messages as {@link runProbeAction}:
 *
 * - httpGet over plain HTTP and tcpSocket, to an IPv4 address (the pod's, by default);
 * - exec, once the container's cgroups are known (before its init runs they are not, and that
 *   run goes through runProbeAction, as do grpc, HTTPS and host names: the prober asks again
 *   for the next run). On a kernel without pidfd_open (before 5.3) the engine refuses exec
 *   probes and they stay on the prober's timers (the refusal is caught there).
 */
import net from 'node:net';
import type { HttpGetAction, ProbeKind, ProbeSpec } from '../../podfile/index.js';
import type { EngineProbeAction, EngineResult, EngineTiming, ProbeEngine } from '../../util/index.js';
import { execVerbArgv, globalArgv } from '../stage1/crun-argv.js';
import { containerCgroupProcs } from '../stage1/container-cgroups.js';
import type { ProbeTarget } from './pod-socket.js';
import { commandFailedReason, dialFailedReason, httpFailedReason, httpStatusReason, probeUrl, timedOutReason } from './probe-messages.js';
import { hostOf } from './pod-socket.js';
import type { ProbeOffload } from './prober.js';
import type { ProbeResult } from './probe-state.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REQUEST_PATH = /^[\x21-\x7e]+$/;

/** The request Node's client sends for runProbeAction's httpGet, or undefined when a part could not go on the wire as is. */
export function renderHttpRequest(action: HttpGetAction, host: string): string | undefined {
  if (!REQUEST_PATH.test(action.path)) return undefined;
  const headers = new Map<string, [string, string]>([
    ['user-agent', ['User-Agent', 'kube-probe/rocklet']],
    ['accept', ['Accept', '*/*']],
    ['connection', ['Connection', 'close']],
  ]);
  for (const header of action.headers) {
    if (!TOKEN.test(header.name) || !HEADER_VALUE.test(header.value)) return undefined;
    headers.set(header.name.toLowerCase(), [header.name, header.value]);
  }
  if (!headers.has('host')) headers.set('host', ['Host', action.port === 80 ? host : `${host}:${action.port}`]);
  let request = `GET ${action.path} HTTP/1.1\r\n`;
  for (const [name, value] of headers.values()) request += `${name}: ${value}\r\n`;
  return `${request}\r\n`;
}

type Offloadable = { readonly spec: EngineProbeAction; readonly result: (r: EngineResult) => ProbeResult };

async function offloadable(target: ProbeTarget, probe: ProbeSpec): Promise<Offloadable | undefined> {
  const action = probe.action;
  const timedOut: ProbeResult = { ok: false, reason: timedOutReason(probe.timeoutSeconds) };
  switch (action.kind) {
    case 'tcpSocket': {
      const host = hostOf(target, action);
      if (!net.isIPv4(host)) return undefined;
      return {
        spec: { kind: 'tcp', host, port: action.port, ...(target.netns === undefined ? {} : { netns: target.netns }) },
        result: (r) => (r.kind === 'ok' ? { ok: true } : r.kind === 'timeout' ? timedOut : { ok: false, reason: dialFailedReason(host, action.port, r.kind === 'errno' ? r.code : r.kind) }),
      };
    }
    case 'httpGet': {
      const host = hostOf(target, action);
      const request = action.scheme === 'HTTP' && net.isIPv4(host) ? renderHttpRequest(action, host) : undefined;
      if (request === undefined) return undefined;
      const url = probeUrl(action, host);
      return {
        spec: { kind: 'http', host, port: action.port, request, ...(target.netns === undefined ? {} : { netns: target.netns }) },
        result: (r) => {
          if (r.kind === 'ok') return { ok: true };
          if (r.kind === 'timeout') return timedOut;
          if (r.kind === 'status') return { ok: false, reason: httpStatusReason(r.status, url) };
          return { ok: false, reason: httpFailedReason(url, r.kind === 'errno' ? r.code : r.kind) };
        },
      };
    }
    case 'exec': {
      const cgroupProcs = await (target.cgroupProcs?.() ?? containerCgroupProcs(target.crunRoot, target.containerId));
      if (cgroupProcs.length === 0) return undefined;
      const command = JSON.stringify(action.command.join(' '));
      const argv = [...globalArgv({ binary: target.crunBinary, root: target.crunRoot, cgroupManager: 'disabled' }), ...execVerbArgv(target.containerId, { args: action.command })];
      return {
        spec: { kind: 'exec', path: target.crunBinary, argv, cgroupProcs },
        result: (r) => {
          switch (r.kind) {
            case 'ok':
              return { ok: true };
            case 'timeout':
              return timedOut;
            case 'exit':
              return { ok: false, reason: commandFailedReason(action.command, { exitCode: r.exitCode }, r.output), output: r.output };
            case 'signal':
              return { ok: false, reason: commandFailedReason(action.command, { signal: r.signal }, r.output), output: r.output };
            case 'spawn':
              return { ok: false, reason: r.message };
            case 'errno':
              return { ok: false, reason: `command ${command}: ${r.code}` };
            case 'status':
              return { ok: false, reason: `command ${command}: unexpected answer` }; // not an exec result
          }
        },
      };
    }
    case 'grpc':
      return undefined;
  }
}

/** Periodic probes of `target` on `engine`, for {@link ContainerProber}'s `offload`. */
export function engineOffload(engine: ProbeEngine, target: ProbeTarget): ProbeOffload {
  return {
    async start(kind: ProbeKind, probe: ProbeSpec, delayMs: number, onResult: (result: ProbeResult) => void) {
      const found = await offloadable(target, probe);
      if (found === undefined) return undefined;
      const timing: EngineTiming = {
        delayMs: Math.max(0, Math.round(delayMs)),
        periodMs: probe.periodSeconds * 1000,
        timeoutMs: probe.timeoutSeconds * 1000,
        reportSuccesses: kind === 'readiness' ? Math.max(1, probe.successThreshold) : 1,
      };
      const handle = engine.add({ ...found.spec, ...timing }, (r) => onResult(found.result(r)));
      return () => engine.remove(handle);
    },
  };
}
