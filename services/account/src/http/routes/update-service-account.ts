import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as sa from '../../service-accounts/service-accounts.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import {
  accountParams,
  capabilities,
  displayName,
  rateLimit,
  serviceAccount,
  tools,
  uuid,
} from './service-account-schemas.js';

export function updateServiceAccountRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.put(
      '/api/v1/service-accounts/:account_id',
      {
        schema: {
          tags: ['service-accounts'],
          operationId: 'updateServiceAccount',
          summary: 'Update service account',
          description:
            'Patch metadata, capabilities, or rate limit. Permission changes take effect on the next `/auth/token-exchange` call (or immediately for raw `X-API-Key` flows).',
          params: accountParams,
          body: z.object({
            organization_id: uuid,
            display_name: displayName.optional(),
            description: z.string().max(2000).nullable().optional(),
            capabilities: capabilities.optional(),
            allowed_tools: tools.optional(),
            rate_limit_per_minute: rateLimit.optional(),
          }),
          response: { 200: ok(serviceAccount), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await sa.updateServiceAccount(
          deps.repositories,
          principalOf(request),
          request.params.account_id,
          request.body,
          originOf(request),
        ),
      }),
    );
  };
}
