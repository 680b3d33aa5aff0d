/**
 * @module pod/probe/grpc — a grpc probe as kubelet runs it: one `grpc.health.v1.Health/Check`
 * call (gRPC Health Checking Protocol) over HTTP/2 without TLS to the pod's address, from a
 * socket inside the pod's network namespace (pod-socket.ts). A response with status SERVING is
 * success; any other status, a gRPC error, or no connection fails with kubelet's wording.
 *
 * The protocol is small enough to speak with node:http2 and a hand-written codec for its two
 * one-field protobuf messages (`HealthCheckRequest{string service = 1}`,
 * `HealthCheckResponse{ServingStatus status = 1}`), instead of a gRPC library in the daemon.
 */
import http2 from 'node:http2';
import net from 'node:net';
import type { GrpcAction } from '../../podfile/index.js';
import type { ProbeTarget } from './pod-socket.js';
import { abortedResult, podSocket } from './pod-socket.js';
import type { ProbeResult } from './probe-state.js';

const CHECK_PATH = '/grpc.health.v1.Health/Check';
// HealthCheckResponse.ServingStatus, by number.
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const SERVING = 1;
// gRPC status codes, by number (as grpc-go prints them).
const GRPC_CODES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
] as const;
const UNIMPLEMENTED = 12;
// A HealthCheckResponse is a few bytes; anything much larger is not one.
const MAX_RESPONSE_BYTES = 64 * 1024;

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** The request as one length-prefixed gRPC message (uncompressed). */
export function encodeHealthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  // Field 1, wire type 2 (length-delimited): tag 0x0a. proto3 leaves an empty string out.
  const message = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function readVarint(buffer: Buffer, start: number): { readonly value: number; readonly next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = start; i < buffer.length && i < start + 10; i++) {
    const byte = buffer[i] ?? 0;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    scale *= 0x80;
  }
  return undefined;
}

/**
 * The ServingStatus in a response body (one length-prefixed message), or a reason it is not a
 * HealthCheckResponse. Unknown fields are skipped, as protobuf requires; a missing status is 0.
 */
export function decodeHealthCheckResponse(body: Buffer): { readonly status: number } | { readonly problem: string } {
  if (body.length < 5) return { problem: `response of ${body.length} bytes has no gRPC message` };
  if (body[0] !== 0) return { problem: 'response is compressed, though the request offered no compression' };
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return { problem: `response message is cut short (${body.length - 5} of ${length} bytes)` };
  const message = body.subarray(5, 5 + length);
  let status = 0;
  for (let at = 0; at < message.length;) {
    const key = readVarint(message, at);
    if (key === undefined) return { problem: 'response message is not protobuf' };
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    at = key.next;
    if (wire === 0) {
      const value = readVarint(message, at);
      if (value === undefined) return { problem: 'response message is not protobuf' };
      if (field === 1) status = value.value;
      at = value.next;
    } else if (wire === 2) {
      const size = readVarint(message, at);
      if (size === undefined || size.next + size.value > message.length) return { problem: 'response message is not protobuf' };
      at = size.next + size.value;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
    } else {
      return { problem: `response message has protobuf wire type ${wire}` };
    }
  }
  return { status };
}

function grpcMessage(raw: unknown): string {
  if (typeof raw !== 'string') return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** kubelet's verdict on a finished call. */
function verdict(authority: string, httpStatus: unknown, grpcStatus: unknown, message: unknown, body: Buffer): ProbeResult {
  if (httpStatus !== 200) return { ok: false, reason: `error: health rpc probe failed: ${authority} answered HTTP status ${String(httpStatus)}, not a gRPC response` };
  const code = typeof grpcStatus === 'string' && /^\d+$/.test(grpcStatus) ? Number(grpcStatus) : undefined;
  if (code === undefined) return { ok: false, reason: `error: health rpc probe failed: ${authority} sent no grpc-status` };
  if (code === UNIMPLEMENTED) {
    return { ok: false, reason: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage(message) || 'Unimplemented'}` };
  }
  if (code !== 0) {
    return { ok: false, reason: `error: health rpc probe failed: rpc error: code = ${GRPC_CODES[code] ?? `Code(${code})`} desc = ${grpcMessage(message)}` };
  }
  const decoded = decodeHealthCheckResponse(body);
  if ('problem' in decoded) return { ok: false, reason: `error: health rpc probe failed: ${decoded.problem}` };
  if (decoded.status !== SERVING) {
    return { ok: false, reason: `service unhealthy (responded with "${SERVING_STATUS[decoded.status] ?? String(decoded.status)}")` };
  }
  return { ok: true };
}

/** Runs grpc probe `action` against `target` once; the caller's `signal` is its timeout. */
export async function runGrpc(target: ProbeTarget, action: GrpcAction, signal: AbortSignal): Promise<ProbeResult> {
  const host = target.podIp ?? '127.0.0.1';
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${action.port}`;
  const session = http2.connect(`http://${authority}`, { createConnection: () => podSocket(target, action.port, host) });
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<ProbeResult>((resolve) => {
      const failed = (error: NodeJS.ErrnoException, connected: boolean): void => {
        if (signal.aborted) resolve(abortedResult(signal));
        else if (!connected) resolve({ ok: false, reason: `failed to connect service "${authority}": ${error.code ?? error.message}` });
        else resolve({ ok: false, reason: `error: health rpc probe failed: ${error.code ?? error.message}` });
      };
      onAbort = () => resolve(abortedResult(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      let connected = false;
      session.once('connect', () => {
        connected = true;
      });
      session.on('error', (error: NodeJS.ErrnoException) => failed(error, connected));
      const request = session.request({
        ':method': 'POST',
        ':path': CHECK_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
        'user-agent': 'kube-probe/rocklet',
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('response', (received) => {
        headers = received;
      });
      request.on('trailers', (received: http2.IncomingHttpHeaders) => {
        trailers = received;
      });
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          resolve({ ok: false, reason: `error: health rpc probe failed: response larger than ${MAX_RESPONSE_BYTES} bytes` });
          request.close(http2.constants.NGHTTP2_CANCEL);
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => {
        // A trailers-only response (an error) carries grpc-status in its headers.
        const status = trailers['grpc-status'] ?? headers['grpc-status'];
        const message = trailers['grpc-message'] ?? headers['grpc-message'];
        resolve(verdict(authority, headers[':status'], status, message, Buffer.concat(chunks)));
      });
      // Before the connection is up, the stream only reports its own cancel: the session's
      // error (ECONNREFUSED …) says why, or its close does.
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (connected) failed(error, connected);
      });
      session.once('close', () => failed(Object.assign(new Error('connection closed'), { code: 'connection closed' }), connected));
      request.end(encodeHealthCheckRequest(action.service));
    });
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    session.destroy();
  }
}
