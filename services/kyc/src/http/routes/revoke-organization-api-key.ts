import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors.js';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { apiKeySummary, errorResponses, isUuid } from '../schemas.js';

const keyParams = z.object({ organizationId: z.string(), keyId: z.string() });

export function revokeOrganizationApiKeyRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
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
        await kyc.organizations.requireMember(request.params.organizationId, user.id);
        if (!isUuid(request.params.keyId)) throw errors.API_KEY_NOT_FOUND();
        const key = await kyc.apiKeys.revoke(request.params.organizationId, request.params.keyId, user.id);
        return { ok: true as const, key };
      },
    );
  };
}
