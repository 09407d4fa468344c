import type { FastifyRequest } from 'fastify';

/**
 * Shared-link URLs carry bearer secrets: the token in the path and, as the seed documents it, the
 * password in the query. Request logs show the URL, so both are masked there.
 */
export function redactUrl(url: string): string {
  const [pathPart = '', query] = url.split(/\?(.*)/s, 2);
  const path = pathPart.replace(/^\/share\/[^/]+/, '/share/[redacted]');
  if (query === undefined) return path;
  const masked = query
    .split('&')
    .map((pair) => (/^(password|token)(=|$)/i.test(pair) ? `${pair.split('=')[0]}=[redacted]` : pair))
    .join('&');
  return `${path}?${masked}`;
}

/** The `req` shape Fastify logs by default, with the URL masked. */
export function redactedRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
  };
}
