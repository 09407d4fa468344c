import type { FastifyInstance } from 'fastify';

const SESSION_PATH = /^\/api\/verification\/sessions\/[^/?]+(\/|\?|$)/;

/**
 * CORS for the end-user routes (`/api/verification/sessions/{id}/…`) so the embeddable widget can
 * call them from the tenant's origin. They authenticate with the session token in a header or the
 * body, never with cookies, so any origin may call them; session creation (secret key) stays
 * server-to-server.
 */
export async function verificationCors(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (request, reply) => {
    if (SESSION_PATH.test(request.url)) {
      reply.header('access-control-allow-origin', '*');
      reply.header('access-control-expose-headers', 'x-request-id');
    }
  });
  app.options('/api/verification/sessions/*', { schema: { hide: true } }, async (request, reply) => {
    if (!SESSION_PATH.test(request.url)) return reply.callNotFound();
    return reply
      .status(204)
      .header('access-control-allow-methods', 'GET, PATCH, POST')
      .header('access-control-allow-headers', 'content-type, x-verification-token')
      .header('access-control-max-age', '600')
      .send();
  });
}
