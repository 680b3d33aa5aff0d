/**
 * @module harness/http — a minimal loopback HTTP GET for readiness probes and tests
 * (no keep-alive agent, so nothing outlives the request).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Status, headers and body of a response. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * GETs `url` with `headers`; rejects only on connection errors or timeout. An https URL's
 * certificate is not checked: this is for probes of servers the harness itself started.
 */
export function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<HttpResponse> {
  const secure = url.startsWith('https:');
  const request = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent: false, timeout: timeoutMs, ...(secure ? { rejectUnauthorized: false } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
