/**
 * @module pod/probe/pod-socket — where a container's network probes and hooks go, and the TCP
 * socket that reaches it as the pod sees it: made inside the pod's network namespace by util's
 * `netnsSocket` (no host port, no process), or a plain one for hostNetwork pods.
 */
import net from 'node:net';
import { netnsSocket } from '../../util/index.js';
import type { ProbeResult } from './probe-state.js';

/** Where a container's probes go. */
export interface ProbeTarget {
  /** The pod's network namespace file; absent: the host's network (hostNetwork pods). */
  readonly netns?: string;
  /** The pod's address; the default host of httpGet and tcpSocket, the host of grpc. */
  readonly podIp?: string;
  readonly crunBinary: string;
  readonly crunRoot: string;
  readonly containerId: string;
  /** The container's cgroup.procs files for exec (stage1/container-cgroups.ts); read per run without it. */
  readonly cgroupProcs?: () => Promise<readonly string[]>;
}

/** A TCP socket towards `host:port` as the pod sees it (connecting). */
export function podSocket(target: ProbeTarget, port: number, host: string): net.Socket {
  if (target.netns === undefined) return net.connect(port, host);
  const socket = new net.Socket({ fd: netnsSocket(target.netns) });
  return socket.connect(port, host);
}

/** The host an action connects to: its own, else the pod's address (Kubernetes: the pod IP), else loopback. */
export function hostOf(target: ProbeTarget, action: { readonly host?: string }): string {
  return action.host ?? target.podIp ?? '127.0.0.1';
}

/** The result of an action its caller's timeout ended. */
export function abortedResult(signal: AbortSignal): ProbeResult {
  return { ok: false, reason: signal.reason instanceof Error ? signal.reason.message : 'aborted' };
}
