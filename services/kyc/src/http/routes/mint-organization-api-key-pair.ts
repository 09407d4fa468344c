import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { apiKeySummary, errorResponses } from '../schemas.js';
import { orgParams } from './api-key-schemas.js';

const mintBody = z.object({
  environment: z.enum(['test', 'live']),
  label: z.string().trim().min(1).max(128).optional(),
});

export function mintOrganizationApiKeyPairRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
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
        await kyc.organizations.requireMember(request.params.organizationId, user.id);
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
  };
}
