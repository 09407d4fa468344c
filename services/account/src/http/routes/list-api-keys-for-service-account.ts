import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as apiKeys from '../../service-accounts/api-keys.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, page, pageQuery, paginated } from '../schemas.js';
import { accountParams } from './service-account-schemas.js';

const apiKey = z.object({
  api_key_id: z.string(),
  key_prefix: z.string(),
  name: z.string(),
  permissions: z.array(z.string()),
  expires_at: z.number().int().nullable(),
  last_used_at: z.number().int().nullable(),
  created_at: z.number().int(),
  is_revoked: z.boolean(),
  is_expired: z.boolean(),
});

export function listApiKeysForServiceAccountRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/service-accounts/:account_id/api-keys',
      {
        schema: {
          tags: ['api-keys'],
          operationId: 'listApiKeysForServiceAccount',
          summary: 'List API keys for service account',
          description:
            'List metadata for every key on a service account. The plaintext is never returned here — only `key_prefix` for identification.',
          params: accountParams,
          querystring: z.object(pageQuery),
          response: { 200: ok(paginated(apiKey)), ...errorResponses },
        },
      },
      async (request) => {
        const { page: p, per_page: perPage } = request.query;
        const { items, total } = await apiKeys.listApiKeys(
          deps.repositories,
          principalOf(request),
          request.params.account_id,
          p,
          perPage,
        );
        return { success: true as const, data: page(items, total, p, perPage) };
      },
    );
  };
}
