import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as apiKeys from '../../service-accounts/api-keys.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf, permissionString } from '../schemas.js';
import { accountParams } from './service-account-schemas.js';

/** What a key may carry: within its service account's capabilities (checked by the domain). */
const capabilities = z.array(permissionString).max(200, { error: 'must list at most 200 entries' });

export function createApiKeyRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/service-accounts/:account_id/api-keys',
      {
        schema: {
          tags: ['api-keys'],
          operationId: 'createApiKey',
          summary: 'Create API key',
          description:
            'Mint a new API key. **The `key` field in the response is the only time the plaintext is ever exposed** — store it client-side immediately. Subsequent calls see only the hash and `key_prefix`.',
          params: accountParams,
          body: z.object({
            name: z.string().trim().max(200).optional(),
            permissions: capabilities,
            expires_in_days: z
              .number({ error: 'must be an integer' })
              .int({ error: 'must be an integer' })
              .min(1, { error: 'must be at least 1' })
              .max(3650, { error: 'must be at most 3650' })
              .optional(),
          }),
          response: {
            201: ok(
              z.object({
                api_key_id: z.string(),
                key: z.string(),
                key_prefix: z.string(),
                name: z.string(),
                permissions: z.array(z.string()),
                expires_at: z.number().int().nullable(),
                created_at: z.number().int(),
              }),
            ),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const data = await apiKeys.createApiKey(
          deps,
          principalOf(request),
          request.params.account_id,
          request.body,
          originOf(request),
        );
        reply.header('cache-control', 'no-store');
        return reply.status(201).send({ success: true as const, code: 2010, data });
      },
    );
  };
}
