import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { verificationTokenFirst } from '../auth-hooks.js';
import { KYC_BODY_LIMITS } from '../body-limits.js';
import { documentType, errorResponses, getSessionOk } from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';
import { sessionIdOf, sessionParams } from './session-params.js';

const patchBody = z.object({ documentType, token: z.string().min(1) });

export function patchVerificationSessionRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.patch(
      '/api/verification/sessions/:sessionId',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.tokenInBody,
        schema: {
          tags: ['Verification'],
          operationId: 'patchVerificationSession',
          summary: 'Set document type',
          security: KYC_SECURITY.verificationTokenInBody,
          params: sessionParams,
          body: patchBody,
          response: { 200: getSessionOk, ...errorResponses(400, 401, 404, 410, 503) },
        },
      },
      async (request) => ({
        ok: true as const,
        session: await kyc.sessions.chooseDocumentType(
          sessionIdOf(request.params.sessionId),
          request.body.token,
          request.body.documentType,
        ),
      }),
    );
  };
}
