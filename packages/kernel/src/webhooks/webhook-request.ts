import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { pinnedRequestOptions, type VettedDestination } from './ssrf-guard.js';

export interface WebhookRequest {
  destination: VettedDestination;
  headers: Record<string, string>;
  body: string;
  /** Budget for the whole exchange: connect, send, response headers and body. */
  timeoutMs: number;
}

export interface WebhookResponse {
  /** Absent when no response arrived (network error, timeout). */
  statusCode?: number;
  /** The receiver's `Retry-After` (delta seconds or HTTP date), in seconds from now. */
  retryAfterSeconds?: number;
  error?: string;
  durationMs: number;
}

/** The receiver's answer is read only to free the connection; beyond this it is cut off. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One POST to a vetted destination, connecting only to its vetted addresses. Redirects are
 * not followed (a 3xx is a failed attempt). Never rejects: failures come back as `error`.
 */
export function postWebhook(request: WebhookRequest): Promise<WebhookResponse> {
  const { url } = request.destination;
  const started = performance.now();
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let statusCode: number | undefined;
    let retryAfterSeconds: number | undefined;
    let settled = false;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      const durationMs = Math.round(performance.now() - started);
      resolve({
        ...(statusCode !== undefined ? { statusCode } : {}),
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        ...(error !== undefined ? { error } : {}),
        durationMs,
      });
    };
    const outgoing = client.request(
      {
        ...pinnedRequestOptions(request.destination),
        method: 'POST',
        ...(url.username
          ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
          : {}),
        headers: { ...request.headers, 'Content-Length': String(Buffer.byteLength(request.body)) },
      },
      (response) => {
        statusCode = response.statusCode;
        retryAfterSeconds = parseRetryAfter(response.headers['retry-after']);
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('end', () => finish());
        response.on('close', () => finish());
        response.on('error', () => finish());
      },
    );
    deadline = setTimeout(() => {
      outgoing.destroy(new Error(`timed out after ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      // Once the status is known, a failure while draining the body does not change the outcome.
      finish(statusCode === undefined ? describeNetworkError(error) : undefined);
    });
    outgoing.end(request.body);
  });
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

/** `Retry-After` as seconds from now: delta seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
