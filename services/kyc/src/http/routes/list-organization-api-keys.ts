import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { apiKeySummary, errorResponses } from '../schemas.js';
import { orgParams } from './api-key-schemas.js';

export function listOrganizationApiKeysRoute(kyc: Kyc) {
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
        await kyc.organizations.requireMember(request.params.organizationId, operatorOf(request).id);
        return { ok: true as const, keys: await kyc.apiKeys.list(request.params.organizationId) };
      },
    );
  };
}
