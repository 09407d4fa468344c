import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as sa from '../../service-accounts/service-accounts.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import {
  capabilities,
  displayName,
  rateLimit,
  serviceAccount,
  tools,
  uuid,
} from './service-account-schemas.js';

export function createServiceAccountRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/service-accounts',
      {
        schema: {
          tags: ['service-accounts'],
          operationId: 'createServiceAccount',
          summary: 'Create service account',
          description:
            'Create a new service account scoped to an organization. The returned account has no API key yet — call `POST /service-accounts/{account_id}/api-keys` afterwards.',
          body: z.object({
            organization_id: uuid,
            display_name: displayName,
            description: z.string().max(2000).nullable().optional(),
            capabilities,
            allowed_tools: tools,
            rate_limit_per_minute: rateLimit.optional(),
          }),
          response: { 201: ok(serviceAccount), ...errorResponses },
        },
      },
      async (request, reply) => {
        const data = await sa.createServiceAccount(
          deps.repositories,
          principalOf(request),
          request.body,
          originOf(request),
        );
        return reply.status(201).send({ success: true as const, code: 2010, data });
      },
    );
  };
}
