import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

const SESSION_PATH = /^\/api\/verification\/sessions\/[^/?]+(\/|\?|$)/;

const SESSION_CORS: FastifyCorsOptions = {
  origin: '*',
  methods: ['GET', 'PATCH', 'POST'],
  allowedHeaders: ['content-type', 'x-verification-token'],
  exposedHeaders: ['x-request-id'],
  maxAge: 600,
  // A preflight without Origin or Access-Control-Request-Method is still answered 204, as before.
  strictPreflight: false,
};

/**
 * CORS for the end-user routes (`/api/verification/sessions/{id}/…`) so the embeddable widget can
 * call them from the tenant's origin. They authenticate with the session token in a header or the
 * body, never with cookies, so any origin may call them; session creation (secret key) stays
 * server-to-server, and every other path gets no CORS headers (and no preflight: 404).
 */
export async function verificationCors(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCors, {
    hideOptionsRoute: true,
    delegator: (request, callback) =>
      callback(null, SESSION_PATH.test(request.url) ? SESSION_CORS : { origin: false }),
  });
}
