import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { secretKeys } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';

const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const createSessionBody = z
  .object({
    externalUserId: z.string().min(1).max(512).optional(),
    returnUrl: httpUrl.optional(),
    webhookUrl: httpUrl.optional(),
    webhookSecret: z.string().min(16).max(255).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  // The body is optional: no body (null) means all defaults.
  .nullish();

export function createVerificationSessionRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/verification/sessions',
      {
        // The key is checked before the body is parsed: an unauthenticated caller learns nothing.
        onRequest: async (request) => {
          secretKeys.set(request, await kyc.apiKeys.authenticateSecret(request.headers.authorization));
        },
        schema: {
          tags: ['Verification'],
          operationId: 'createVerificationSession',
          summary: 'Create verification session',
          security: KYC_SECURITY.secretKey,
          description: 'Server-to-server. Authenticate with `Authorization: Bearer sk_<env>_<random>`.',
          body: createSessionBody,
          response: {
            201: z.object({
              ok: z.literal(true),
              sessionId: z.uuid(),
              token: z.string(),
              clientSecret: z.string(),
              hostedUrl: z.string(),
              expiresAt: z.string(),
            }),
            ...errorResponses(400, 401, 500, 503),
          },
        },
      },
      async (request, reply) => {
        const created = await kyc.sessions.create(secretKeys.of(request), request.body ?? {});
        reply.header('cache-control', 'no-store');
        return reply.status(201).send({ ok: true, ...created });
      },
    );
  };
}
