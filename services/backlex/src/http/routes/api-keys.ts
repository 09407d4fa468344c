import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_KEY_DAYS } from '../../api-keys/api-key-plugin.js';
import { isOrgOperation, KEY_SCOPES } from '../../auth/roles.js';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(KEY_SCOPES),
  mcpTools: z.array(z.string()).nullable(),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  createdBy: z.string().nullable(),
  secret: z.string().optional(),
});

const body = z.object({
  name: z.string().trim().min(1).max(60),
  scope: z.enum(KEY_SCOPES),
  expiresInDays: z.int().positive().max(MAX_KEY_DAYS).optional(),
  mcpTools: z
    .array(
      z
        .string()
        .max(80)
        .refine((name) => isOrgOperation(name), 'not an operation name (see the README, "API keys")'),
    )
    .max(64)
    .optional(),
});

/** `GET/POST /org/{slug}/api-keys` and `DELETE /org/{slug}/api-keys/{id}`: the org's API keys. */
export function apiKeyRoutes(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    const typed = app.withTypeProvider<ZodTypeProvider>();
    typed.get(
      '/api/org/:slug/api-keys',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'List API keys',
          operationId: 'listApiKeys',
          description: 'Keys of the org, newest first; the secret is never shown again.',
          params: slugParams,
          response: { ...errorResponses, 200: z.object({ keys: z.array(apiKeySchema) }) },
        },
        config: { orgOperation: 'apiKeys.list' },
      },
      async (request) => ({ keys: await deps.apiKeys.list(orgAccessOf(request)) }),
    );
    typed.post(
      '/api/org/:slug/api-keys',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Create an API key',
          operationId: 'createApiKey',
          description:
            '`pak_` + 64 hex, returned once as `key.secret` (stored as its sha-256). `expiresInDays` ≤ 3650, omitted = never; `mcpTools` = operation names the key is limited to.',
          params: slugParams,
          body,
          response: { ...errorResponses, 201: z.object({ key: apiKeySchema }) },
        },
        config: { orgOperation: 'apiKeys.create' },
      },
      async (request, reply) => {
        const key = await deps.apiKeys.create(orgAccessOf(request), request.body);
        return reply.status(201).send({ key });
      },
    );
    typed.delete(
      '/api/org/:slug/api-keys/:id',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Revoke an API key',
          operationId: 'revokeApiKey',
          description: 'The key stops working on the next request.',
          params: slugParams.extend({ id: z.string().min(1).max(200) }),
          response: { ...errorResponses, 204: z.null() },
        },
        config: { orgOperation: 'apiKeys.revoke' },
      },
      async (request, reply) => {
        await deps.apiKeys.revoke(orgAccessOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
