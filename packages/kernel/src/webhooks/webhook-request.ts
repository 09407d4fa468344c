import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { pinnedRequestOptions, type VettedDestination } from './ssrf-guard.js';

export interface WebhookRequest {
  destination: VettedDestination;
  /**
   * Reuses connections (`DestinationAgents`); without it every request opens and closes its own
   * connection.
   */
  agents?: DestinationAgents;
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

/** Keep-alive agents kept per destination, at most this many (the least recently used goes). */
const MAX_AGENTS = 256;
/** An idle pooled connection is closed after this long. */
const IDLE_SOCKET_MS = 15_000;

/**
 * Keep-alive connections for webhook POSTs, one agent per destination: scheme, host, port and the
 * addresses the SSRF guard vetted for it. A pooled socket is therefore reused only for the same
 * host, connected to an address vetted for that host: a new DNS answer (rebinding) makes a new
 * agent, never a reused connection to somewhere else. Idle sockets do not keep a process alive.
 */
export class DestinationAgents {
  private readonly agents = new Map<string, http.Agent>();

  for(destination: VettedDestination): http.Agent {
    const { url, addresses } = destination;
    const key = `${url.protocol}//${url.host}|${addresses.map((entry) => `${entry.family}/${entry.address}`).join(',')}`;
    let agent = this.agents.get(key);
    if (agent) {
      // Most recently used last: the first entry is the one to drop.
      this.agents.delete(key);
    } else {
      const options = { keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
      agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      if (this.agents.size >= MAX_AGENTS) {
        // Forgotten, not destroyed: its requests finish, its idle sockets close after IDLE_SOCKET_MS.
        this.agents.delete(this.agents.keys().next().value as string);
      }
    }
    this.agents.set(key, agent);
    return agent;
  }

  /** Closes every pooled connection. */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

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
        // Pooled only with requests to the same host and port vetted to the same addresses, else a
        // private agent per request: no socket connected for another destination is reused.
        agent: request.agents?.for(request.destination) ?? false,
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
