import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { auditHookFor } from '../../events/audit-hook.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { integrationSchema } from './integrations-list.js';

const integrationInput = z.object({
  kind: z.enum(['slack', 'discord', 'datadog', 'github']),
  config: z.record(z.string(), z.unknown()).nullable().optional(),
  events: z.array(z.string().min(1).max(100)).max(100).nullable().optional(),
});

export function createIntegrationRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/integrations',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Connect an integration',
          operationId: 'createIntegration',
          description:
            'Admins. `config` per kind: slack/discord `webhookUrl`; datadog `apiKey`, `site`; github `token`, `repository` (422 naming each field). Secrets are sealed at rest and masked on read.',
          params: slugParams,
          body: integrationInput,
          response: { ...errorResponses, 201: z.object({ integration: integrationSchema }) },
        },
        config: { orgOperation: 'integrations.create' },
      },
      async (request, reply) => {
        const access = orgAccessOf(request);
        const integration = await deps.events.integrations.create(
          access.org.id,
          request.body,
          auditHookFor(deps.audit, access),
        );
        return reply.status(201).send({ integration });
      },
    );
  };
}
