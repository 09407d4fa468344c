import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { verificationTokenFirst } from '../auth-hooks.js';
import { KYC_BODY_LIMITS } from '../body-limits.js';
import { errorResponses, getSessionOk } from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';
import { presignBody } from './verification-schemas.js';
import { sessionIdOf, sessionParams } from './session-params.js';

const completeBody = presignBody.extend({
  s3Key: z.string().min(1).max(512),
  sha256: z.string().regex(/^[a-fA-F0-9]{64}$/),
});

export function completeVerificationUploadRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/verification/sessions/:sessionId/upload-complete',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.tokenInBody,
        schema: {
          tags: ['Verification'],
          operationId: 'completeVerificationUpload',
          summary: 'Confirm upload and run analysis',
          security: KYC_SECURITY.verificationTokenInBody,
          params: sessionParams,
          body: completeBody,
          response: {
            200: z.object({ ok: z.literal(true), session: getSessionOk.shape.session, assetId: z.uuid() }),
            ...errorResponses(400, 401, 404, 410, 500, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.sessions.completeUpload(sessionIdOf(request.params.sessionId), request.body)),
      }),
    );
  };
}
