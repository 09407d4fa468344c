import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as apiKeys from '../../service-accounts/api-keys.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import {
  errorResponses,
  ok,
  okNull,
  originOf,
  page,
  pageQuery,
  paginated,
  permissionString,
} from '../schemas.js';

const uuid = z.uuid({ error: 'must be a UUID' });
const accountParams = z.object({ account_id: uuid });
const keyParams = z.object({ api_key_id: uuid });
/** What a key may carry: within its service account's capabilities (checked by the domain). */
const capabilities = z.array(permissionString).max(200, { error: 'must list at most 200 entries' });

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

/** A service account's API keys: list, mint, revoke, delete. */
export function apiKeyRoutes(deps: AccountDeps) {
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
