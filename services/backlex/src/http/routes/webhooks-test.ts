import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { auditHookFor } from '../../events/audit-hook.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { orgItemParams } from './webhooks-delete.js';

export function testWebhookRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/webhooks/:id/test',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Send a test webhook delivery',
          operationId: 'testWebhook',
          description:
            'Admins. A signed `webhook.test` sent at once (10 s budget, 10 a minute per webhook). `ok` is true iff the receiver answered 2xx; a failing or unreachable receiver is `ok: false` with 200.',
          params: orgItemParams,
          response: {
            ...errorResponses,
            200: z.object({
              ok: z.boolean(),
              status: z.number().int().nullable(),
              durationMs: z.number(),
              error: z.string().optional(),
            }),
          },
        },
        config: { orgOperation: 'webhooks.test' },
      },
      async (request) => {
        const access = orgAccessOf(request);
        return deps.events.webhooks.test(access.org.id, request.params.id, auditHookFor(deps.audit, access));
      },
    );
  };
}
