import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as sa from '../../service-accounts/service-accounts.js';
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

const serviceAccount = z.object({
  account_id: z.string(),
  organization_id: z.string(),
  display_name: z.string(),
  description: z.string().nullable(),
  status: z.enum(['active', 'paused', 'archived']),
  capabilities: z.array(z.string()),
  allowed_tools: z.array(z.string()),
  rate_limit_per_minute: z.number().int(),
  last_used_at: z.number().int().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});

const capabilities = z.array(permissionString).max(200, { error: 'must list at most 200 entries' });
const tools = z.array(z.string().min(1).max(100)).max(200, { error: 'must list at most 200 entries' });
const displayName = z.string({ error: 'is required' }).trim().min(1, { error: 'is required' }).max(200);
const rateLimit = z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' });

export function serviceAccountRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      '/api/v1/service-accounts',
      {
        schema: {
          tags: ['service-accounts'],
          operationId: 'listServiceAccounts',
          summary: 'List service accounts',
          description:
            'List service accounts in an organization. The org is supplied as a query parameter (not a path segment) because callers commonly enumerate across orgs they manage.',
          querystring: z.object({
            organization_id: uuid,
            status: z
              .enum(['active', 'paused', 'archived'], { error: 'must be active, paused or archived' })
              .optional(),
            ...pageQuery,
          }),
          response: { 200: ok(paginated(serviceAccount)), ...errorResponses },
        },
      },
      async (request) => {
        const query = request.query;
        const { items, total } = await sa.listServiceAccounts(deps.repositories, principalOf(request), {
          organization_id: query.organization_id,
          status: query.status,
          page: query.page,
          perPage: query.per_page,
        });
        return { success: true as const, data: page(items, total, query.page, query.per_page) };
      },
    );

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

    routes.get(
      '/api/v1/service-accounts/:account_id',
      {
        schema: {
          tags: ['service-accounts'],
          operationId: 'getServiceAccount',
          summary: 'Get service account',
          description: 'Fetch one service account by id.',
          params: accountParams,
          response: { 200: ok(serviceAccount), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await sa.getServiceAccount(deps.repositories, principalOf(request), request.params.account_id),
      }),
    );

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

    for (const [method, path, action, operationId, summary, description] of [
      [
        'DELETE',
        '/api/v1/service-accounts/:account_id',
        'archive',
        'archiveServiceAccount',
        'Archive service account',
        'Soft-delete (archive) a service account. All of its API keys are revoked. Existing service JWTs continue to validate until their natural exp (max 1 hour).',
      ],
      [
        'POST',
        '/api/v1/service-accounts/:account_id/pause',
        'pause',
        'pauseServiceAccount',
        'Pause service account',
        'Temporarily disable a service account. API keys stop authenticating until resumed; metadata and capabilities are preserved.',
      ],
      [
        'POST',
        '/api/v1/service-accounts/:account_id/resume',
        'resume',
        'resumeServiceAccount',
        'Resume service account',
        'Re-enable a paused service account.',
      ],
    ] as const) {
      routes.route({
        method,
        url: path,
        schema: {
          tags: ['service-accounts'],
          operationId,
          summary,
          description,
          params: accountParams,
          response: { 200: okNull, ...errorResponses },
        },
        handler: async (request) => {
          const { account_id: accountId } = request.params as { account_id: string };
          await sa.changeServiceAccountStatus(
            deps.repositories,
            principalOf(request),
            accountId,
            action,
            originOf(request),
          );
          return { success: true as const, data: null };
        },
      });
    }
  };
}
