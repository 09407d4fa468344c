import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxBilling, SandboxPageResult } from '../../billing/sandbox-provider.js';

function answer(reply: FastifyReply, result: SandboxPageResult) {
  if (result.kind === 'redirect') return reply.redirect(result.url, 303);
  return reply.status(result.status).type('text/html; charset=utf-8').send(result.html);
}

const field = (body: unknown, name: string) => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * The sandbox provider's hosted pages (extension, not in `/openapi.json`): the checkout card form
 * and the saved-card form. Their URLs are capabilities (a random session id; a signed customer
 * link), as Stripe's are; card numbers are never logged (`logLevel: warn`, bodies are not logged).
 */
export function sandboxPages(sandbox: SandboxBilling) {
  return async (app: FastifyInstance) => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16_384 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const options = { logLevel: 'warn' as const, schema: { hide: true } };
    app.get<{ Params: { sessionId: string } }>(
      '/api/billing/sandbox/checkout/:sessionId',
      options,
      async (request, reply) => answer(reply, await sandbox.checkoutPage(request.params.sessionId)),
    );
    app.post<{ Params: { sessionId: string } }>(
      '/api/billing/sandbox/checkout/:sessionId',
      options,
      async (request, reply) =>
        answer(
          reply,
          await sandbox.submitCheckout(request.params.sessionId, {
            cardNumber: field(request.body, 'cardNumber'),
            expiry: field(request.body, 'expiry'),
            cvc: field(request.body, 'cvc'),
          }),
        ),
    );
    type CardRoute = { Params: { customerId: string }; Querystring: { org?: string; sig?: string } };
    app.get<CardRoute>('/api/billing/sandbox/customers/:customerId/card', options, async (request, reply) =>
      answer(
        reply,
        await sandbox.cardPage(
          request.params.customerId,
          String(request.query.org ?? ''),
          String(request.query.sig ?? ''),
        ),
      ),
    );
    app.post<CardRoute>('/api/billing/sandbox/customers/:customerId/card', options, async (request, reply) =>
      answer(
        reply,
        await sandbox.submitCard(
          request.params.customerId,
          String(request.query.org ?? ''),
          String(request.query.sig ?? ''),
          {
            cardNumber: field(request.body, 'cardNumber'),
            expiry: field(request.body, 'expiry'),
            cvc: field(request.body, 'cvc'),
          },
        ),
      ),
    );
  };
}
