import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors.js';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { apiKeySummary, errorResponses, isUuid } from '../schemas.js';

const orgParams = z.object({ organizationId: z.string() });
const keyParams = z.object({ organizationId: z.string(), keyId: z.string() });
export const mintBody = z.object({
  environment: z.enum(['test', 'live']),
  label: z.string().trim().min(1).max(128).optional(),
});

export function apiKeyRoutes(kyc: Kyc) {
  /** 403 unless the operator belongs to the organization (unknown ids included: no existence oracle). */
  async function member(organizationId: string, userId: string) {
    if (!isUuid(organizationId) || !(await kyc.organizations.isMember(organizationId, userId))) {
      throw errors.NOT_MEMBER();
    }
  }
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/api/dashboard/organizations/:organizationId/api-keys',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'listOrganizationApiKeys',
          summary: 'List API keys for an organization',
          params: orgParams,
          response: {
            200: z.object({ ok: z.literal(true), keys: z.array(apiKeySummary) }),
            ...errorResponses(401, 403, 503),
          },
        },
      },
      async (request) => {
        await member(request.params.organizationId, operatorOf(request).id);
        return { ok: true as const, keys: await kyc.apiKeys.list(request.params.organizationId) };
      },
    );
    api.post(
      '/api/dashboard/organizations/:organizationId/api-keys',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'mintOrganizationApiKeyPair',
          summary: 'Mint a new publishable + secret key pair',
          params: orgParams,
          body: mintBody,
          response: {
            201: z.object({
              ok: z.literal(true),
              publishable: z.object({ raw: z.string(), summary: apiKeySummary }),
              secret: z.object({ raw: z.string(), summary: apiKeySummary }),
            }),
            ...errorResponses(400, 401, 403, 500),
          },
        },
      },
      async (request, reply) => {
        const user = operatorOf(request);
        await member(request.params.organizationId, user.id);
        const pair = await kyc.apiKeys.mintPair({
          organizationId: request.params.organizationId,
          environment: request.body.environment,
          label: request.body.label,
          createdBy: user.id,
        });
        reply.header('cache-control', 'no-store');
        return reply.status(201).send({ ok: true, ...pair });
      },
    );
    api.delete(
      '/api/dashboard/organizations/:organizationId/api-keys/:keyId',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'revokeOrganizationApiKey',
          summary: 'Revoke an API key',
          params: keyParams,
          response: {
            200: z.object({ ok: z.literal(true), key: apiKeySummary }),
            ...errorResponses(401, 403, 404, 500),
          },
        },
      },
      async (request) => {
        const user = operatorOf(request);
        await member(request.params.organizationId, user.id);
        if (!isUuid(request.params.keyId)) throw errors.API_KEY_NOT_FOUND();
        const key = await kyc.apiKeys.revoke(request.params.organizationId, request.params.keyId, user.id);
        return { ok: true as const, key };
      },
    );
  };
}
