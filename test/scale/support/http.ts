// Plain HTTP for the scale tests: JSON calls to a base URL (the balancer or one instance), each
// from a client IP of the test's choosing (X-Forwarded-For: the instances trust loopback, where
// haproxy and the tests run, so each test has its own rate-limit windows, as separate users do).
import { randomInt } from 'node:crypto';

export interface JsonResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  body: any;
  text: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  clientIp?: string;
  /** Gives up after this long (the call then rejects), as a client with a deadline does. */
  timeoutMs?: number;
}

export async function call(
  base: string,
  method: string,
  pathname: string,
  options: CallOptions = {},
): Promise<JsonResponse> {
  const response = await fetch(`${base}${pathname}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.clientIp ? { 'x-forwarded-for': options.clientIp } : {}),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** A client address of its own (TEST-NET-2), so windows counted per IP start empty. */
export function clientIp(): string {
  return `198.51.${randomInt(0, 255)}.${randomInt(1, 254)}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
