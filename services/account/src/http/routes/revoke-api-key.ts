import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as apiKeys from '../../service-accounts/api-keys.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { keyParams } from './api-key-schemas.js';

export function revokeApiKeyRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/api-keys/:api_key_id/revoke',
      {
        schema: {
          tags: ['api-keys'],
          operationId: 'revokeApiKey',
          summary: 'Revoke API key',
          description:
            'Mark a key as revoked. The key continues to exist for audit purposes but stops authenticating immediately.',
          params: keyParams,
          body: z.object({ reason: z.string().max(500).optional() }).nullish(),
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        await apiKeys.revokeApiKey(
          deps.repositories,
          principalOf(request),
          request.params.api_key_id,
          request.body?.reason,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );
  };
}
