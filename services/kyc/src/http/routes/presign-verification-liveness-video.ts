import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { verificationTokenFirst } from '../auth-hooks.js';
import { KYC_BODY_LIMITS } from '../body-limits.js';
import { errorResponses, uploadHeaders } from '../schemas.js';

import { KYC_SECURITY } from '../openapi.js';
import { MAX_VIDEO_BYTES } from './liveness-schemas.js';
import { sessionIdOf, sessionParams } from './session-params.js';

const presignVideoBody = z.object({
  token: z.string().min(1),
  requestId: z.uuid(),
  contentType: z.string().min(1).max(255),
  byteSize: z.number().int().min(1).max(MAX_VIDEO_BYTES),
});

export function presignVerificationLivenessVideoRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/verification/sessions/:sessionId/liveness/presign-video',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.tokenInBody,
        schema: {
          tags: ['Verification'],
          operationId: 'presignVerificationLivenessVideo',
          summary: 'Presign PUT for optional liveness screen recording',
          security: KYC_SECURITY.verificationTokenInBody,
          params: sessionParams,
          body: presignVideoBody,
          response: {
            200: z.object({
              ok: z.literal(true),
              uploadUrl: z.string().min(1),
              s3Key: z.string().min(1),
              expiresInSeconds: z.number().int(),
              uploadHeaders: uploadHeaders,
            }),
            ...errorResponses(400, 401, 404, 410, 500, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.liveness.presignVideo(sessionIdOf(request.params.sessionId), request.body)),
      }),
    );
  };
}
