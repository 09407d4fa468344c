import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { verificationTokenFirst } from '../auth-hooks.js';
import { KYC_BODY_LIMITS } from '../body-limits.js';
import { errorResponses, uploadHeaders } from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';
import { presignBody } from './verification-schemas.js';
import { sessionIdOf, sessionParams } from './session-params.js';

export function presignVerificationUploadRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/verification/sessions/:sessionId/presign',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.tokenInBody,
        schema: {
          tags: ['Verification'],
          operationId: 'presignVerificationUpload',
          summary: 'Presign document upload (PUT to MinIO/S3)',
          security: KYC_SECURITY.verificationTokenInBody,
          params: sessionParams,
          body: presignBody,
          response: {
            200: z.object({
              ok: z.literal(true),
              uploadUrl: z.string(),
              s3Key: z.string(),
              expiresInSeconds: z.number().int(),
              uploadHeaders: uploadHeaders,
            }),
            ...errorResponses(400, 401, 404, 410, 500, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.sessions.presignUpload(sessionIdOf(request.params.sessionId), request.body)),
      }),
    );
  };
}
