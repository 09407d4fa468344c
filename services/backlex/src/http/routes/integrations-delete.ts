import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { auditHookFor } from '../../events/audit-hook.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { orgItemParams } from './webhooks-delete.js';

export function deleteIntegrationRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/org/:slug/integrations/:id',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Disconnect an integration',
          operationId: 'deleteIntegration',
          params: orgItemParams,
          response: { ...errorResponses, 204: z.null().describe('Integration disconnected.') },
        },
        config: { orgOperation: 'integrations.delete' },
      },
      async (request, reply) => {
        const access = orgAccessOf(request);
        await deps.events.integrations.remove(
          access.org.id,
          request.params.id,
          auditHookFor(deps.audit, access),
        );
        return reply.status(204).send(null);
      },
    );
  };
}
