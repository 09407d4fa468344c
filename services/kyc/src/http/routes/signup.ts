import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { errorResponses, userPublic } from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';

const signupBody = z.object({
  fullName: z.string().trim().min(1).max(120),
  email: z.email().max(320),
  password: z.string().min(8).max(128),
  acceptedTerms: z.literal(true, { error: 'You must accept the terms' }),
});

export function signupRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/auth/signup',
      {
        schema: {
          tags: ['Auth'],
          operationId: 'signup',
          summary: 'Register account',
          security: KYC_SECURITY.public,
          body: signupBody,
          response: {
            201: z.object({ ok: z.literal(true), user: userPublic }),
            ...errorResponses(400, 409, 500, 503),
          },
        },
      },
      async (request, reply) => {
        const user = await kyc.auth.signup(request.body);
        return reply.status(201).send({ ok: true, user });
      },
    );
  };
}
