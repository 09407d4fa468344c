import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { verificationToken } from '../auth-hooks.js';
import { errorResponses, getSessionOk } from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';
import { sessionIdOf, sessionParams } from './session-params.js';

const tokenQuery = z.object({ token: z.string().optional() });

export function getVerificationSessionRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/api/verification/sessions/:sessionId',
      {
        schema: {
          tags: ['Verification'],
          operationId: 'getVerificationSession',
          summary: 'Get verification session',
          security: KYC_SECURITY.verificationToken,
          params: sessionParams,
          querystring: tokenQuery,
          response: { 200: getSessionOk, ...errorResponses(401, 404, 410, 503) },
        },
      },
      async (request, reply) => {
        const session = await kyc.sessions.get(
          sessionIdOf(request.params.sessionId),
          verificationToken(request),
        );
        // The polling hot path: the view is built from typed rows (same shape as getSessionOk), so it
        // is sent as JSON text, skipping the per-request schema pass of the serializer.
        const body = JSON.stringify({ ok: true, session }) as unknown as {
          ok: true;
          session: typeof session;
        };
        return reply.type('application/json; charset=utf-8').send(body);
      },
    );
  };
}
