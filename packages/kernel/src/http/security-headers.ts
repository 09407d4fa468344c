import type { FastifyReply } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** Every header helmet can set, off: a response gets exactly the ones its kind asks for. */
const NONE: HelmetOptions = {
  contentSecurityPolicy: false,
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  strictTransportSecurity: false,
  xContentTypeOptions: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: false,
  xPermittedCrossDomainPolicies: false,
  xPoweredBy: false,
  xXssProtection: false,
};

/** Sets a kind of response's security headers on a reply. */
export type SecurityHeaders = (reply: FastifyReply) => void;

/**
 * Security headers (CSP, nosniff, framing, referrer…) written by helmet, for one kind of response.
 * Only the headers named in `options` are set (helmet's other defaults stay off), and helmet's
 * middleware is built once here, not per request: call the result on a reply before sending it.
 * A per-reply helper rather than `@fastify/helmet`'s hooks, because these headers belong to a kind
 * of response (a downloaded file, an HTML page) that several routes send, and `@fastify/helmet`
 * rebuilds helmet on every request of a route it covers.
 */
export function securityHeaders(options: HelmetOptions): SecurityHeaders {
  // The spread loses HelmetOptions' either-or keys (`xFrameOptions` or `frameguard`): callers use the long names.
  const middleware = helmet({ ...NONE, ...options } as HelmetOptions);
  return (reply) =>
    middleware(reply.request.raw, reply.raw, (error?: unknown) => {
      if (error) throw error;
    });
}

/**
 * User content served from a service's own origin (uploaded files, objects): never sniffed as
 * another type, never run as a page (a sandboxed CSP with nothing allowed).
 */
export const userContentHeaders: SecurityHeaders = securityHeaders({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], sandbox: [] } },
  xContentTypeOptions: true,
});
