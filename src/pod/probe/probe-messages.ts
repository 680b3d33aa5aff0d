/**
 * @module pod/probe/probe-messages — the reasons a failed probe gives, in kubelet's wording, for
 * every way a probe runs (actions.ts on the prober's timers, native-probes.ts on the engine), so
 * `rocklet pods` and the journal say the same whichever ran it.
 */
import type { HttpGetAction } from '../../podfile/index.js';

/** A run that outlived the probe's timeoutSeconds. */
export function timedOutReason(timeoutSeconds: number): string {
  return `timed out after ${timeoutSeconds}s`;
}

/** A tcpSocket probe that could not connect (`code`: an errno name such as ECONNREFUSED). */
export function dialFailedReason(host: string, port: number, code: string): string {
  return `dial tcp ${host}:${port}: ${code}`;
}

/** The URL an httpGet probe asks for. */
export function probeUrl(action: HttpGetAction, host: string): string {
  return `${action.scheme.toLowerCase()}://${host}:${action.port}${action.path}`;
}

/** An httpGet probe answered outside 200–399. */
export function httpStatusReason(status: number, url: string): string {
  return `HTTP probe failed with statuscode: ${status} (GET ${url})`;
}

/** An httpGet probe that got no answer (`code`: an errno name or the client's error). */
export function httpFailedReason(url: string, code: string): string {
  return `GET ${url}: ${code}`;
}

/** An exec probe's command that did not exit 0: how it ended, and the last line of its output. */
export function commandFailedReason(command: readonly string[], end: { readonly exitCode: number } | { readonly signal: number | string }, output: string): string {
  const lastLine = output.trim().split('\n').slice(-1)[0] ?? '';
  const how = 'exitCode' in end ? `exit code ${end.exitCode}` : `killed by signal ${end.signal}`;
  return `command ${JSON.stringify(command.join(' '))} failed (${how})${lastLine === '' ? '' : `: ${lastLine.slice(0, 200)}`}`;
}
