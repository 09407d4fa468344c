import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as apiKeys from '../../service-accounts/api-keys.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { keyParams } from './api-key-schemas.js';

export function deleteApiKeyRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.delete(
      '/api/v1/api-keys/:api_key_id',
      {
        schema: {
          tags: ['api-keys'],
          operationId: 'deleteApiKey',
          summary: 'Delete API key',
          description: 'Permanently remove a key (hard delete). Prefer revoke for auditable history.',
          params: keyParams,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        await apiKeys.deleteApiKey(
          deps.repositories,
          principalOf(request),
          request.params.api_key_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );
  };
}
